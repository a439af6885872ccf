//! The login methods: `auth.sendCode` (with `PHONE_MIGRATE_X` to the number's DC),
//! `auth.signIn`, and two-step verification through `account.getPassword` and
//! `auth.checkPassword`, checked by real SRP. A successful login binds the auth key it ran on
//! to the account, as Telegram does.

use giftbuyer_core::AccountId;
use giftbuyer_sim::LoginError;
use grammers_tl_types::{self as tl, functions};

use super::MarketBackend;
use crate::backend::CallContext;
use crate::rpc::{Reply, RpcFailure, decode};
use crate::srp::{self, Challenge};

/// A login on one key that reached the password step.
#[derive(Debug, Clone)]
pub(crate) struct PasswordLogin {
    phone: String,
    challenge: Option<SrpChallenge>,
}

#[derive(Debug, Clone)]
struct SrpChallenge {
    srp_id: i64,
    salt1: Vec<u8>,
    salt2: Vec<u8>,
    challenge: Challenge,
}

fn random_bytes<const N: usize>() -> Result<[u8; N], RpcFailure> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|_| RpcFailure::new(500, "INTERNAL_SERVER_ERROR"))?;
    Ok(bytes)
}

/// The market's form of a number Telegram receives as digits.
fn market_phone(digits: &str) -> Result<String, RpcFailure> {
    let digits: String = digits.chars().filter(char::is_ascii_digit).collect();
    giftbuyer_sim::normalize_phone(&format!("+{digits}"))
        .ok_or_else(|| RpcFailure::bad_request("PHONE_NUMBER_INVALID"))
}

fn login_error(error: LoginError) -> RpcFailure {
    match error {
        LoginError::PhoneNumberInvalid(_) => RpcFailure::bad_request("PHONE_NUMBER_INVALID"),
        LoginError::NoCodeSent | LoginError::CodeExpired => {
            RpcFailure::bad_request("PHONE_CODE_EXPIRED")
        }
        LoginError::InvalidCode => RpcFailure::bad_request("PHONE_CODE_INVALID"),
        LoginError::PasswordRequired { .. } => RpcFailure::new(401, "SESSION_PASSWORD_NEEDED"),
        LoginError::InvalidPassword => RpcFailure::bad_request("PASSWORD_HASH_INVALID"),
        LoginError::NoPasswordPending => RpcFailure::bad_request("PASSWORD_HASH_INVALID"),
    }
}

fn srp_algo(salt1: Vec<u8>, salt2: Vec<u8>) -> tl::enums::PasswordKdfAlgo {
    tl::enums::PasswordKdfAlgo::Sha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow(
        tl::types::PasswordKdfAlgoSha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow {
            salt1,
            salt2,
            g: srp::G,
            p: srp::prime(),
        },
    )
}

impl MarketBackend {
    /// Refuses a login step that arrived on another DC than the number's: `PHONE_MIGRATE_X`
    /// for the code request, `USER_MIGRATE_X` once the account is being signed in to, as
    /// Telegram names them.
    fn check_dc(&self, context: &CallContext, phone: &str, kind: &str) -> Result<(), RpcFailure> {
        let home = self.home_dc(phone);
        if context.dc == home {
            Ok(())
        } else {
            Err(RpcFailure::migrate(kind, home))
        }
    }

    pub(super) fn send_code(
        &self,
        context: &CallContext,
        body: &[u8],
    ) -> Result<Reply, RpcFailure> {
        let request: functions::auth::SendCode = decode(body)?;
        let phone = market_phone(&request.phone_number)?;
        if request.api_id <= 0 || request.api_hash.is_empty() {
            return Err(RpcFailure::bad_request("API_ID_INVALID"));
        }
        self.check_dc(context, &phone, "PHONE")?;
        let sent = self
            .market()
            .request_login_code(&phone)
            .map_err(login_error)?;
        self.passwords().remove(&context.key_id);
        Ok(Reply::answer(&tl::enums::auth::SentCode::Code(
            tl::types::auth::SentCode {
                r#type: tl::enums::auth::SentCodeType::App(tl::types::auth::SentCodeTypeApp {
                    length: sent.code_length as i32,
                }),
                phone_code_hash: sent.phone_code_hash,
                next_type: None,
                timeout: Some(sent.expires_in.as_secs().min(i32::MAX as u64) as i32),
            },
        )))
    }

    pub(super) async fn sign_in(
        &self,
        context: &CallContext,
        body: &[u8],
    ) -> Result<Reply, RpcFailure> {
        let request: functions::auth::SignIn = decode(body)?;
        let phone = market_phone(&request.phone_number)?;
        self.check_dc(context, &phone, "USER")?;
        let code = request
            .phone_code
            .filter(|code| !code.is_empty())
            .ok_or_else(|| RpcFailure::bad_request("PHONE_CODE_EMPTY"))?;
        match self
            .market()
            .sign_in(&phone, &request.phone_code_hash, &code)
        {
            Ok(account) => self.authorized(context, account).await,
            Err(error @ LoginError::PasswordRequired { .. }) => {
                self.passwords().insert(
                    context.key_id,
                    PasswordLogin {
                        phone,
                        challenge: None,
                    },
                );
                Err(login_error(error))
            }
            Err(error) => Err(login_error(error)),
        }
    }

    pub(super) fn get_password(&self, context: &CallContext) -> Result<Reply, RpcFailure> {
        let mut passwords = self.passwords();
        let pending = passwords.get_mut(&context.key_id);
        let two_factor = pending
            .as_ref()
            .and_then(|pending| self.market().pending_two_factor(&pending.phone));
        let new_algo = srp_algo(
            random_bytes::<8>()?.to_vec(),
            random_bytes::<16>()?.to_vec(),
        );
        let new_secure_algo = tl::enums::SecurePasswordKdfAlgo::Pbkdf2Hmacsha512iter100000(
            tl::types::SecurePasswordKdfAlgoPbkdf2Hmacsha512iter100000 {
                salt: random_bytes::<8>()?.to_vec(),
            },
        );
        let secure_random = random_bytes::<256>()?.to_vec();
        let (Some(pending), Some(two_factor)) = (pending, two_factor) else {
            // An account without a password, or no login waiting for one.
            return Ok(Reply::answer(&tl::enums::account::Password::Password(
                tl::types::account::Password {
                    has_recovery: false,
                    has_secure_values: false,
                    has_password: false,
                    current_algo: None,
                    srp_b: None,
                    srp_id: None,
                    hint: None,
                    email_unconfirmed_pattern: None,
                    new_algo,
                    new_secure_algo,
                    secure_random,
                    pending_reset_date: None,
                    login_email_pattern: None,
                },
            )));
        };
        let salt1 = random_bytes::<40>()?.to_vec();
        let salt2 = random_bytes::<16>()?.to_vec();
        let x = srp::password_hash(two_factor.password.as_bytes(), &salt1, &salt2);
        let challenge = Challenge::new(&x, &random_bytes::<256>()?);
        let srp_id = i64::from_le_bytes(random_bytes::<8>()?);
        let srp_b = challenge.g_b.to_vec();
        pending.challenge = Some(SrpChallenge {
            srp_id,
            salt1: salt1.clone(),
            salt2: salt2.clone(),
            challenge,
        });
        let hint = two_factor.hint;
        Ok(Reply::answer(&tl::enums::account::Password::Password(
            tl::types::account::Password {
                has_recovery: false,
                has_secure_values: false,
                has_password: true,
                current_algo: Some(srp_algo(salt1, salt2)),
                srp_b: Some(srp_b),
                srp_id: Some(srp_id),
                hint,
                email_unconfirmed_pattern: None,
                new_algo,
                new_secure_algo,
                secure_random,
                pending_reset_date: None,
                login_email_pattern: None,
            },
        )))
    }

    pub(super) async fn check_password(
        &self,
        context: &CallContext,
        body: &[u8],
    ) -> Result<Reply, RpcFailure> {
        let request: functions::auth::CheckPassword = decode(body)?;
        let tl::enums::InputCheckPasswordSrp::Srp(answer) = request.password else {
            return Err(RpcFailure::bad_request("PASSWORD_HASH_INVALID"));
        };
        let (phone, verified) = {
            let passwords = self.passwords();
            let pending = passwords
                .get(&context.key_id)
                .ok_or_else(|| RpcFailure::bad_request("PASSWORD_HASH_INVALID"))?;
            let challenge = pending
                .challenge
                .as_ref()
                .filter(|challenge| challenge.srp_id == answer.srp_id)
                .ok_or_else(|| RpcFailure::bad_request("SRP_ID_INVALID"))?;
            let verified = challenge.challenge.verify(
                &challenge.salt1,
                &challenge.salt2,
                &answer.a,
                &answer.m1,
            );
            (pending.phone.clone(), verified)
        };
        if !verified {
            return Err(RpcFailure::bad_request("PASSWORD_HASH_INVALID"));
        }
        // The proof is checked; the market hears the password it holds, so its own login
        // state moves on exactly as after its own password check.
        let two_factor = self
            .market()
            .pending_two_factor(&phone)
            .ok_or_else(|| RpcFailure::bad_request("PASSWORD_HASH_INVALID"))?;
        let account = self
            .market()
            .check_password(&phone, &two_factor.password)
            .map_err(login_error)?;
        self.passwords().remove(&context.key_id);
        self.authorized(context, account).await
    }

    /// Binds the key to the account and answers `auth.authorization` with its user.
    pub(super) async fn authorized(
        &self,
        context: &CallContext,
        account: AccountId,
    ) -> Result<Reply, RpcFailure> {
        let user = self.user(account, true).await?;
        context
            .keys
            .authorize(context.key_id, account.get())
            .map_err(|error| {
                tracing::warn!(%error, "could not keep a login on the key ring");
                RpcFailure::new(500, "INTERNAL_SERVER_ERROR")
            })?;
        Ok(Reply::answer(
            &tl::enums::auth::Authorization::Authorization(tl::types::auth::Authorization {
                setup_password_required: false,
                otherwise_relogin_days: None,
                tmp_sessions: None,
                future_auth_token: None,
                user,
            }),
        ))
    }
}
