//! `ClientInfo`: who sent a request (address, user agent) and whether it came over HTTPS, with
//! proxy headers believed only when the configuration says a proxy sets them.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use crate::state::AppState;

/// The stored user agent is cut to this many bytes (the store refuses longer ones).
const MAX_USER_AGENT_LEN: usize = 256;

/// The sender of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInfo {
    /// The client's address: the peer, or the last `X-Forwarded-For` entry behind a trusted
    /// proxy. Unknown when the server runs without connection info (as in router tests).
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    /// Whether the browser reached us over HTTPS (as a trusted proxy reports it).
    pub https: bool,
}

impl ClientInfo {
    pub(crate) fn from_parts(parts: &Parts, trust_proxy: bool) -> Self {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        let forwarded = trust_proxy
            .then(|| last_forwarded_for(&parts.headers))
            .flatten();
        let https = trust_proxy
            && header_str(&parts.headers, "x-forwarded-proto")
                .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"));
        let user_agent = header_str(&parts.headers, header::USER_AGENT.as_str())
            .map(|agent| truncate(agent, MAX_USER_AGENT_LEN));
        Self {
            ip: forwarded.or(peer),
            user_agent,
            https,
        }
    }

    /// The key the per-address limiters count under. IPv6 counts per /64, the block one
    /// subscriber usually gets, so that rotating addresses inside it does not reset the limit.
    pub(crate) fn rate_limit_key(&self) -> String {
        match self.ip {
            Some(IpAddr::V4(ip)) => ip.to_string(),
            Some(IpAddr::V6(ip)) => {
                if let Some(v4) = ip.to_ipv4_mapped() {
                    return v4.to_string();
                }
                let s = ip.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
            None => "unknown".to_owned(),
        }
    }

    /// The address as text for the session list and the audit log.
    pub(crate) fn ip_text(&self) -> Option<String> {
        self.ip.map(|ip| ip.to_string())
    }
}

impl FromRequestParts<AppState> for ClientInfo {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        Ok(Self::from_parts(parts, state.config().trust_proxy))
    }
}

pub(crate) fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// The last address of the last `X-Forwarded-For` header: the one our own proxy appended.
/// Earlier entries come from the client and prove nothing.
fn last_forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    let last = headers.get_all("x-forwarded-for").iter().next_back()?;
    last.to_str().ok()?.rsplit(',').next()?.trim().parse().ok()
}

fn truncate(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}
