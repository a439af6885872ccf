//! RPC calls as the server sees them: the wrappers clients put around a query
//! (`invokeWithLayer`, `initConnection`, `invokeWithoutUpdates`, `invokeAfterMsg`), the
//! answer a method gives, and Telegram's `rpc_error`.

use grammers_tl_types::{self as tl, Cursor, Deserializable, Identifiable, Serializable};

/// The code of [`RpcFailure::disconnect`]; never sent on the wire.
const DISCONNECT_CODE: i32 = -1;

/// A Telegram error: its HTTP-like code and its name (`FLOOD_WAIT_3`, `PHONE_MIGRATE_4`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcFailure {
    pub code: i32,
    pub message: String,
}

impl RpcFailure {
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }

    pub fn unauthorized() -> Self {
        Self::new(401, "AUTH_KEY_UNREGISTERED")
    }

    pub fn flood_wait(seconds: u32) -> Self {
        Self::new(420, format!("FLOOD_WAIT_{seconds}"))
    }

    /// Not an answer at all: the connection closes with the call unanswered, as when
    /// Telegram's side of a connection dies in the middle of a call. The simulated market's
    /// own disconnect faults arrive this way, so the client sees a real dropped connection.
    pub fn disconnect() -> Self {
        Self::new(DISCONNECT_CODE, "connection dropped")
    }

    pub fn is_disconnect(&self) -> bool {
        self.code == DISCONNECT_CODE
    }

    pub fn migrate(kind: &str, dc: i32) -> Self {
        Self::new(303, format!("{kind}_MIGRATE_{dc}"))
    }

    /// The serialized `rpc_error`.
    pub fn to_bytes(&self) -> Vec<u8> {
        tl::enums::RpcError::Error(tl::types::RpcError {
            error_code: self.code,
            error_message: self.message.clone(),
        })
        .to_bytes()
    }
}

/// What a method does with a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// The serialized answer.
    Answer(Vec<u8>),
    /// An `rpc_error`.
    Error(RpcFailure),
}

impl Reply {
    pub fn answer(value: &impl Serializable) -> Self {
        Reply::Answer(value.to_bytes())
    }

    pub fn error(code: i32, message: impl Into<String>) -> Self {
        Reply::Error(RpcFailure::new(code, message))
    }

    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            Reply::Answer(bytes) => bytes,
            Reply::Error(failure) => failure.to_bytes(),
        }
    }
}

impl From<RpcFailure> for Reply {
    fn from(failure: RpcFailure) -> Self {
        Reply::Error(failure)
    }
}

/// What `initConnection` told the server about the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    pub layer: Option<i32>,
    pub api_id: Option<i32>,
    pub device_model: Option<String>,
    pub app_version: Option<String>,
    pub lang_code: Option<String>,
}

/// A query with its wrappers taken off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub body: Vec<u8>,
    pub info: ClientInfo,
}

impl Query {
    pub fn constructor(&self) -> u32 {
        crate::wire::constructor(&self.body).unwrap_or(0)
    }
}

const INVOKE_WITHOUT_UPDATES: u32 = 0xbf9459b7;
const INVOKE_AFTER_MSG: u32 = 0xcb9f372d;
const INVOKE_AFTER_MSGS: u32 = 0x3dc4b4f0;

/// Removes the wrappers around a query, recording what `invokeWithLayer` and
/// `initConnection` say. A malformed wrapper is answered `INPUT_REQUEST_INVALID` rather than
/// with a dropped connection.
pub fn unwrap(mut body: Vec<u8>) -> Result<Query, RpcFailure> {
    let mut info = ClientInfo::default();
    let invalid = || RpcFailure::bad_request("INPUT_REQUEST_INVALID");
    for _ in 0..8 {
        let Some(id) = crate::wire::constructor(&body) else {
            return Err(invalid());
        };
        let mut cursor = Cursor::from_slice(&body[4..]);
        match id {
            tl::functions::InvokeWithLayer::<tl::functions::help::GetConfig>::CONSTRUCTOR_ID => {
                info.layer = Some(i32::deserialize(&mut cursor).map_err(|_| invalid())?);
            }
            tl::functions::InitConnection::<tl::functions::help::GetConfig>::CONSTRUCTOR_ID => {
                let flags = u32::deserialize(&mut cursor).map_err(|_| invalid())?;
                info.api_id = Some(i32::deserialize(&mut cursor).map_err(|_| invalid())?);
                let mut strings = Vec::with_capacity(6);
                for _ in 0..6 {
                    strings.push(String::deserialize(&mut cursor).map_err(|_| invalid())?);
                }
                if flags & 1 != 0 {
                    tl::enums::InputClientProxy::deserialize(&mut cursor).map_err(|_| invalid())?;
                }
                if flags & 2 != 0 {
                    tl::enums::Jsonvalue::deserialize(&mut cursor).map_err(|_| invalid())?;
                }
                let mut strings = strings.into_iter();
                info.device_model = strings.next();
                strings.next(); // system_version
                info.app_version = strings.next();
                strings.next(); // system_lang_code
                strings.next(); // lang_pack
                info.lang_code = strings.next();
            }
            INVOKE_WITHOUT_UPDATES => {}
            INVOKE_AFTER_MSG => {
                i64::deserialize(&mut cursor).map_err(|_| invalid())?;
            }
            INVOKE_AFTER_MSGS => {
                Vec::<i64>::deserialize(&mut cursor).map_err(|_| invalid())?;
            }
            _ => return Ok(Query { body, info }),
        }
        let consumed = cursor.pos();
        body = body[4 + consumed..].to_vec();
    }
    Err(invalid())
}

/// Decodes a function call of a known constructor, or answers `INPUT_REQUEST_INVALID`.
pub fn decode<T: Deserializable + Identifiable>(body: &[u8]) -> Result<T, RpcFailure> {
    let mut cursor = Cursor::from_slice(body);
    match u32::deserialize(&mut cursor) {
        Ok(id) if id == T::CONSTRUCTOR_ID => T::deserialize(&mut cursor)
            .map_err(|_| RpcFailure::bad_request("INPUT_REQUEST_INVALID")),
        _ => Err(RpcFailure::bad_request("INPUT_REQUEST_INVALID")),
    }
}

/// The name of a constructor for logs, or its hex id when the schema does not know it.
pub fn name(id: u32) -> String {
    format!("{} ({id:#010x})", tl::name_for_id(id))
}
