//! A local Login with Amazon, SP-API Tokens API and NetSuite token endpoint on
//! 127.0.0.1, in front of the served simulators ([`super::local`]), checking every
//! credential for real before a request goes through:
//!
//! * `POST /auth/o2/token`: the refresh-token grant with the application's client id
//!   and secret and the vendor's refresh token; answers a new access token that expires
//!   after [`GateConfig::token_lifetime`] on the simulators' clock, or `invalid_grant`
//!   once the refresh token is refused ([`CredentialCheck::refuse_refresh_token`]).
//! * `POST /tokens/2021-03-01/restrictedDataToken`: with a live access token, for
//!   restricted resources only; the token is good for the method and path asked for.
//! * SP-API calls: a Restricted Data Token for exactly the method and path on Direct
//!   Fulfillment order reads, and an access token (never an RDT) everywhere else;
//!   expired or unknown tokens get Amazon's 403.
//! * `POST /services/rest/auth/oauth2/v1/token`: the client-credentials grant, its
//!   ES256 client assertion verified with the certificate's public key (header,
//!   claims, audience, an hour at most).
//! * NetSuite REST calls: a live bearer token, or an OAuth 1.0a signature that this
//!   server recomputes with code of its own (its own percent-encoding, parameter
//!   reading from the raw URL and sorting, and the `hmac` crate), checking the realm's
//!   spelling, the timestamp and that no nonce comes twice.
//!
//! A request that passes goes on to the simulators with the fixed tokens they expect;
//! one that does not is answered here, and the reason is kept
//! ([`CredentialCheck::refusals`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use avc_order_sync::Clock;
use avc_order_sync::testing::ManualClock;
use chrono::{DateTime, Utc};
use hmac::Mac;
use p256::ecdsa::signature::Verifier;
use serde_json::{Value, json};

use super::local::{Incoming, LWA_TOKEN, NETSUITE_TOKEN, RDT_TOKEN, decode};

/// What the local services accept.
#[derive(Clone)]
pub struct GateConfig {
    /// The LWA client id.
    pub lwa_client_id: String,
    /// The LWA client secret.
    pub lwa_client_secret: String,
    /// The vendor's refresh token.
    pub refresh_token: String,
    /// How long an issued token (access, restricted, bearer) lives.
    pub token_lifetime: Duration,
    /// The NetSuite realm TBA requests must name (`1234567_SB1`).
    pub realm: String,
    /// TBA: consumer key, consumer secret, token id, token secret.
    pub tba: [String; 4],
    /// OAuth 2.0: the client id.
    pub oauth2_client_id: String,
    /// OAuth 2.0: the certificate id (`kid`).
    pub certificate_id: String,
    /// OAuth 2.0: the certificate's public key.
    pub verifying_key: p256::ecdsa::VerifyingKey,
}

/// What the checks saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GateCounts {
    /// Access tokens issued for the refresh token.
    pub access_tokens: u64,
    /// Restricted Data Tokens issued.
    pub restricted_data_tokens: u64,
    /// NetSuite bearer tokens issued.
    pub bearer_tokens: u64,
    /// SP-API calls let through with an access token.
    pub sp_api_with_access_token: u64,
    /// SP-API calls let through with a Restricted Data Token.
    pub sp_api_with_restricted_token: u64,
    /// NetSuite calls let through with a verified signature.
    pub netsuite_signed: u64,
    /// NetSuite calls let through with a bearer token.
    pub netsuite_bearer: u64,
    /// Requests refused here.
    pub refused: u64,
}

/// The restricted resources (method, path) a Restricted Data Token was issued for.
type Scope = Vec<(String, String)>;

#[derive(Default)]
struct State {
    counts: GateCounts,
    serial: u64,
    access: HashMap<String, DateTime<Utc>>,
    restricted: HashMap<String, (Scope, DateTime<Utc>)>,
    bearer: HashMap<String, DateTime<Utc>>,
    nonces: HashSet<String>,
    refuse_refresh: bool,
    refusals: Vec<String>,
    /// Restricted paths read, and the token kind each came with.
    sp_api_log: Vec<String>,
}

struct Shared {
    base_url: String,
    upstream: String,
    clock: ManualClock,
    config: GateConfig,
    state: Mutex<State>,
    stop: AtomicBool,
    http: ureq::Agent,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The running checks, in front of `upstream`.
pub struct CredentialCheck {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl Drop for CredentialCheck {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// Serves the checks on a port of 127.0.0.1 the system picks, passing what passes to
/// `upstream` (the served simulators' base URL), on `clock`.
pub fn serve_credential_check(
    upstream: &str,
    clock: ManualClock,
    config: GateConfig,
) -> CredentialCheck {
    let server = tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1");
    let addr = server
        .server_addr()
        .to_ip()
        .expect("an IP listener address");
    assert!(addr.ip().is_loopback(), "the server binds loopback only");
    let server = Arc::new(server);
    let http: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let shared = Arc::new(Shared {
        base_url: format!("http://{addr}"),
        upstream: upstream.trim_end_matches('/').to_owned(),
        clock,
        config,
        state: Mutex::new(State::default()),
        stop: AtomicBool::new(false),
        http,
    });
    let threads = (0..4)
        .map(|_| {
            let (server, shared) = (server.clone(), shared.clone());
            std::thread::spawn(move || serve(&server, &shared))
        })
        .collect();
    CredentialCheck { shared, threads }
}

impl CredentialCheck {
    /// `http://127.0.0.1:{port}`: the SP-API, Login with Amazon and NetSuite host.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// Login with Amazon's token endpoint here.
    pub fn lwa_token_url(&self) -> String {
        format!("{}/auth/o2/token", self.shared.base_url)
    }

    /// What the checks saw.
    pub fn counts(&self) -> GateCounts {
        lock(&self.shared.state).counts.clone()
    }

    /// Why each refused request was refused, in order.
    pub fn refusals(&self) -> Vec<String> {
        lock(&self.shared.state).refusals.clone()
    }

    /// Each SP-API call let through: `METHOD /path (access|restricted)`.
    pub fn sp_api_log(&self) -> Vec<String> {
        lock(&self.shared.state).sp_api_log.clone()
    }

    /// Refuses (`true`) or accepts again the refresh token: the vendor revoked the
    /// application's authorization, or authorized it again.
    pub fn refuse_refresh_token(&self, refuse: bool) {
        lock(&self.shared.state).refuse_refresh = refuse;
    }

    /// Forgets every token issued, as a service that revoked them early.
    pub fn revoke_tokens(&self) {
        let mut state = lock(&self.shared.state);
        state.access.clear();
        state.restricted.clear();
        state.bearer.clear();
    }
}

fn serve(server: &tiny_http::Server, shared: &Shared) {
    while !shared.stop.load(Ordering::SeqCst) {
        let mut request = match server.recv_timeout(Duration::from_millis(50)) {
            Ok(Some(request)) => request,
            Ok(None) => continue,
            Err(_) => break,
        };
        let raw_url = request.url().to_owned();
        let incoming = Incoming::read(&mut request);
        let answer = handle(shared, &incoming, &raw_url);
        super::local::respond(request, answer);
    }
}

type Answer = super::local::Answer;

fn json_answer(status: u16, body: &Value) -> Answer {
    (
        status,
        vec![("content-type".into(), "application/json".into())],
        body.to_string().into_bytes(),
    )
}

fn refuse(shared: &Shared, answer: Answer, reason: String) -> Answer {
    let mut state = lock(&shared.state);
    state.counts.refused += 1;
    state.refusals.push(reason);
    answer
}

fn amazon_denied() -> Answer {
    json_answer(
        403,
        &json!({"errors": [{"code": "Unauthorized", "message": "Access to requested resource is denied.", "details": ""}]}),
    )
}

fn handle(shared: &Shared, request: &Incoming, raw_url: &str) -> Answer {
    match (request.method.as_str(), request.path.as_str()) {
        ("POST", "/auth/o2/token") => lwa_token(shared, request),
        ("POST", "/tokens/2021-03-01/restrictedDataToken") => {
            restricted_data_token(shared, request)
        }
        ("POST", "/services/rest/auth/oauth2/v1/token") => netsuite_token(shared, request),
        (_, path) if path.starts_with("/vendor/") => sp_api(shared, request, raw_url),
        (_, path) if path.starts_with("/services/rest/") => netsuite(shared, request, raw_url),
        _ => json_answer(
            404,
            &json!({"errors": [{"code": "NotFound", "message": "no such resource"}]}),
        ),
    }
}

fn form(body: &[u8]) -> BTreeMap<String, String> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn issue(state: &mut State, prefix: &str) -> String {
    state.serial += 1;
    format!("{prefix}{}", state.serial)
}

fn lwa_token(shared: &Shared, request: &Incoming) -> Answer {
    let form = form(&request.body);
    let config = &shared.config;
    let field = |name: &str| form.get(name).map(String::as_str);
    if field("client_id") != Some(&config.lwa_client_id)
        || field("client_secret") != Some(&config.lwa_client_secret)
    {
        return refuse(
            shared,
            json_answer(
                401,
                &json!({"error": "invalid_client", "error_description": "Client authentication failed"}),
            ),
            "lwa: wrong client id or secret".into(),
        );
    }
    let refused = lock(&shared.state).refuse_refresh;
    if field("grant_type") != Some("refresh_token")
        || field("refresh_token") != Some(&config.refresh_token)
        || refused
    {
        return refuse(
            shared,
            json_answer(
                400,
                &json!({"error": "invalid_grant", "error_description": "The request has an invalid grant parameter : refresh_token"}),
            ),
            "lwa: refresh token refused".into(),
        );
    }
    let expires = later(shared.clock.now(), config.token_lifetime);
    let mut state = lock(&shared.state);
    let token = issue(&mut state, "Atza|gate-");
    state.access.insert(token.clone(), expires);
    state.counts.access_tokens += 1;
    json_answer(
        200,
        &json!({"access_token": token, "refresh_token": config.refresh_token, "token_type": "bearer",
                "expires_in": config.token_lifetime.as_secs()}),
    )
}

fn later(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    t + chrono::TimeDelta::from_std(d).unwrap_or(chrono::TimeDelta::zero())
}

/// Direct Fulfillment order reads, by this server's own reading of the path.
fn is_restricted(method: &str, path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/vendor/directFulfillment/orders/") else {
        return false;
    };
    let mut parts = rest.split('/');
    let version = parts.next();
    let collection = parts.next();
    let id = parts.next();
    method == "GET"
        && matches!(version, Some("v1" | "2021-12-28"))
        && collection == Some("purchaseOrders")
        && id.is_none_or(|id| !id.is_empty())
        && parts.next().is_none()
}

fn live_access_token(shared: &Shared, token: Option<&str>) -> Result<(), String> {
    let Some(token) = token else {
        return Err("no access token".into());
    };
    let state = lock(&shared.state);
    match state.access.get(token) {
        Some(expires) if shared.clock.now() < *expires => Ok(()),
        Some(_) => Err("access token expired".into()),
        None if state.restricted.contains_key(token) => {
            Err("a restricted data token where an access token belongs".into())
        }
        None => Err("unknown access token".into()),
    }
}

fn restricted_data_token(shared: &Shared, request: &Incoming) -> Answer {
    if let Err(reason) = live_access_token(shared, request.header("x-amz-access-token")) {
        return refuse(shared, amazon_denied(), format!("tokens api: {reason}"));
    }
    let Some(body) = request.json() else {
        return refuse(
            shared,
            json_answer(
                400,
                &json!({"errors": [{"code": "InvalidInput", "message": "body"}]}),
            ),
            "tokens api: no body".into(),
        );
    };
    let resources = body["restrictedResources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut scope = Vec::new();
    for resource in &resources {
        let method = resource["method"].as_str().unwrap_or("");
        let path = resource["path"].as_str().unwrap_or("");
        if !is_restricted(method, path) || resource.get("dataElements").is_some() {
            return refuse(
                shared,
                json_answer(
                    400,
                    &json!({"errors": [{"code": "InvalidInput", "message": format!("{method} {path} is not a restricted resource of this application")}]}),
                ),
                format!("tokens api: not restricted: {method} {path}"),
            );
        }
        scope.push((method.to_owned(), path.to_owned()));
    }
    if scope.is_empty() {
        return refuse(
            shared,
            json_answer(
                400,
                &json!({"errors": [{"code": "InvalidInput", "message": "restrictedResources"}]}),
            ),
            "tokens api: no resources".into(),
        );
    }
    let expires = later(shared.clock.now(), shared.config.token_lifetime);
    let mut state = lock(&shared.state);
    let token = issue(&mut state, "Atz.sprdt|gate-");
    state.restricted.insert(token.clone(), (scope, expires));
    state.counts.restricted_data_tokens += 1;
    json_answer(
        200,
        &json!({"restrictedDataToken": token, "expiresIn": shared.config.token_lifetime.as_secs()}),
    )
}

fn sp_api(shared: &Shared, request: &Incoming, raw_url: &str) -> Answer {
    let token = request.header("x-amz-access-token");
    let restricted = is_restricted(&request.method, &request.path);
    let checked = if restricted {
        let state = lock(&shared.state);
        match token.and_then(|t| state.restricted.get(t)) {
            Some((scope, expires)) => {
                if shared.clock.now() >= *expires {
                    Err("restricted data token expired".to_owned())
                } else if !scope
                    .iter()
                    .any(|(m, p)| *m == request.method && *p == request.path)
                {
                    Err(format!(
                        "restricted data token not for {} {}",
                        request.method, request.path
                    ))
                } else {
                    Ok(())
                }
            }
            None => Err(format!(
                "no restricted data token on {} {}",
                request.method, request.path
            )),
        }
    } else {
        live_access_token(shared, token)
    };
    if let Err(reason) = checked {
        return refuse(shared, amazon_denied(), format!("sp-api: {reason}"));
    }
    {
        let mut state = lock(&shared.state);
        if restricted {
            state.counts.sp_api_with_restricted_token += 1;
        } else {
            state.counts.sp_api_with_access_token += 1;
        }
        let kind = if restricted { "restricted" } else { "access" };
        state
            .sp_api_log
            .push(format!("{} {} ({kind})", request.method, request.path));
    }
    forward(
        shared,
        request,
        raw_url,
        (
            "x-amz-access-token",
            if restricted { RDT_TOKEN } else { LWA_TOKEN }.to_owned(),
        ),
    )
}

// ---------------------------------------------------------------------------------
// NetSuite
// ---------------------------------------------------------------------------------

fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        } as u32)
    };
    let bytes = text.as_bytes();
    if bytes.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::new();
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= value(*c)? << (18 - 6 * i);
        }
        let produced = chunk.len() * 6 / 8;
        for i in 0..produced {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

fn netsuite_refusal(status: u16, code: &str) -> Answer {
    json_answer(
        status,
        &json!({"type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2", "title": "Unauthorized", "status": status,
                "o:errorDetails": [{"detail": "Invalid login attempt.", "o:errorCode": code}]}),
    )
}

fn netsuite_token(shared: &Shared, request: &Incoming) -> Answer {
    let form = form(&request.body);
    let invalid = |reason: &str| {
        refuse(
            shared,
            json_answer(400, &json!({"error": "invalid_client"})),
            format!("netsuite token endpoint: {reason}"),
        )
    };
    if form.get("grant_type").map(String::as_str) != Some("client_credentials")
        || form.get("client_assertion_type").map(String::as_str)
            != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    {
        return invalid("wrong grant or assertion type");
    }
    let Some(jwt) = form.get("client_assertion") else {
        return invalid("no client assertion");
    };
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header, claims, signature] = parts.as_slice() else {
        return invalid("not a jwt");
    };
    let read =
        |part: &str| -> Option<Value> { serde_json::from_slice(&base64url_decode(part)?).ok() };
    let (Some(header_json), Some(claims_json), Some(signature)) =
        (read(header), read(claims), base64url_decode(signature))
    else {
        return invalid("a part is not base64url json");
    };
    let config = &shared.config;
    if header_json["alg"] != "ES256"
        || header_json["typ"] != "JWT"
        || header_json["kid"] != config.certificate_id.as_str()
    {
        return invalid("header");
    }
    let Ok(signature) = p256::ecdsa::Signature::from_slice(&signature) else {
        return invalid("signature is not r||s");
    };
    let signed = format!("{header}.{claims}");
    if config
        .verifying_key
        .verify(signed.as_bytes(), &signature)
        .is_err()
    {
        return invalid("signature does not verify");
    }
    let now = shared.clock.now().timestamp();
    let token_url = format!("{}/services/rest/auth/oauth2/v1/token", shared.base_url);
    let iat = claims_json["iat"].as_i64().unwrap_or(i64::MIN);
    let exp = claims_json["exp"].as_i64().unwrap_or(i64::MIN);
    let scopes_ok = claims_json["scope"]
        .as_array()
        .is_some_and(|s| s.iter().any(|v| v == "rest_webservices"));
    if claims_json["iss"] != config.oauth2_client_id.as_str()
        || claims_json["aud"] != token_url.as_str()
        || !scopes_ok
        || iat > now + 60
        || exp <= now
        || exp - iat > 3600
    {
        return invalid("claims");
    }
    let expires = later(shared.clock.now(), config.token_lifetime);
    let mut state = lock(&shared.state);
    let token = issue(&mut state, "ns-gate-");
    state.bearer.insert(token.clone(), expires);
    state.counts.bearer_tokens += 1;
    // NetSuite writes `expires_in` as a string.
    json_answer(
        200,
        &json!({"access_token": token, "token_type": "bearer", "expires_in": config.token_lifetime.as_secs().to_string()}),
    )
}

/// RFC 3986 unreserved stay; every other byte becomes `%XX` (this server's own
/// encoder, written apart from the library's).
fn encode(text: &str) -> String {
    const UNRESERVED: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    text.bytes()
        .map(|b| {
            if UNRESERVED.contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The `OAuth` header's parameters, unquoted and decoded.
fn oauth_header(value: &str) -> Option<BTreeMap<String, String>> {
    let rest = value.strip_prefix("OAuth ")?;
    let mut out = BTreeMap::new();
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        let v = v.strip_prefix('"')?.strip_suffix('"')?;
        out.insert(decode(k), decode(v));
    }
    Some(out)
}

fn verify_signature(
    shared: &Shared,
    request: &Incoming,
    raw_url: &str,
    header: &str,
) -> Result<(), String> {
    let params = oauth_header(header).ok_or("unreadable oauth header")?;
    let config = &shared.config;
    let [consumer_key, consumer_secret, token_id, token_secret] = &config.tba;
    let get = |name: &str| params.get(name).map(String::as_str);
    if get("realm") != Some(config.realm.as_str()) {
        return Err(format!("realm {:?}, not {}", get("realm"), config.realm));
    }
    if get("oauth_consumer_key") != Some(consumer_key) || get("oauth_token") != Some(token_id) {
        return Err("unknown consumer key or token".into());
    }
    if get("oauth_signature_method") != Some("HMAC-SHA256") || get("oauth_version") != Some("1.0") {
        return Err("signature method or version".into());
    }
    let timestamp: i64 = get("oauth_timestamp")
        .and_then(|t| t.parse().ok())
        .ok_or("no timestamp")?;
    if (timestamp - shared.clock.now().timestamp()).abs() > 300 {
        return Err("timestamp too far from now".into());
    }
    let nonce = get("oauth_nonce").ok_or("no nonce")?;
    if !lock(&shared.state)
        .nonces
        .insert(format!("{token_id}/{nonce}"))
    {
        return Err(format!("nonce {nonce} used before"));
    }
    // Every parameter but the realm and the signature, with the query's from the raw
    // URL, each encoded, sorted as encoded.
    let mut signed: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| *k != "realm" && *k != "oauth_signature")
        .map(|(k, v)| (encode(k), encode(v)))
        .collect();
    if let Some((_, query)) = raw_url.split_once('?') {
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            signed.push((encode(&decode(k)), encode(&decode(v))));
        }
    }
    signed.sort();
    let normalized = signed
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let uri = format!("{}{}", shared.base_url, request.path);
    let base = format!(
        "{}&{}&{}",
        request.method,
        encode(&uri),
        encode(&normalized)
    );
    let key = format!("{}&{}", encode(consumer_secret), encode(token_secret));
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).map_err(|e| e.to_string())?;
    mac.update(base.as_bytes());
    let sent = get("oauth_signature").ok_or("no signature")?;
    let sent = base64_decode_standard(sent).ok_or("signature is not base64")?;
    mac.verify_slice(&sent)
        .map_err(|_| "signature does not match".to_owned())
}

fn base64_decode_standard(text: &str) -> Option<Vec<u8>> {
    base64url_decode(
        &text
            .trim_end_matches('=')
            .replace('+', "-")
            .replace('/', "_"),
    )
}

fn netsuite(shared: &Shared, request: &Incoming, raw_url: &str) -> Answer {
    let authorization = request.header("Authorization").unwrap_or("");
    let checked = if let Some(token) = authorization.strip_prefix("Bearer ") {
        let state = lock(&shared.state);
        match state.bearer.get(token) {
            Some(expires) if shared.clock.now() < *expires => Ok("bearer"),
            Some(_) => Err("bearer token expired".to_owned()),
            None => Err("unknown bearer token".to_owned()),
        }
    } else if authorization.starts_with("OAuth ") {
        verify_signature(shared, request, raw_url, authorization).map(|()| "signed")
    } else {
        Err("no credentials".to_owned())
    };
    match checked {
        Ok(kind) => {
            let mut state = lock(&shared.state);
            if kind == "bearer" {
                state.counts.netsuite_bearer += 1;
            } else {
                state.counts.netsuite_signed += 1;
            }
        }
        Err(reason) => {
            return refuse(
                shared,
                netsuite_refusal(401, "INVALID_LOGIN"),
                format!("netsuite: {reason}"),
            );
        }
    }
    forward(
        shared,
        request,
        raw_url,
        ("Authorization", format!("Bearer {NETSUITE_TOKEN}")),
    )
}

// ---------------------------------------------------------------------------------
// Passing on
// ---------------------------------------------------------------------------------

fn forward(
    shared: &Shared,
    request: &Incoming,
    raw_url: &str,
    credential: (&str, String),
) -> Answer {
    const DROPPED: &[&str] = &[
        "host",
        "content-length",
        "authorization",
        "x-amz-access-token",
        "connection",
        "transfer-encoding",
    ];
    let mut builder = ureq::http::Request::builder()
        .method(request.method.as_str())
        .uri(format!("{}{raw_url}", shared.upstream));
    for (name, value) in &request.headers {
        if !DROPPED.iter().any(|d| name.eq_ignore_ascii_case(d)) {
            builder = builder.header(name, value);
        }
    }
    builder = builder.header(credential.0, credential.1);
    let result = if request.body.is_empty() {
        builder.body(()).map(|r| shared.http.run(r))
    } else {
        builder
            .body(request.body.clone())
            .map(|r| shared.http.run(r))
    };
    let mut response = match result {
        Ok(Ok(response)) => response,
        _ => {
            return json_answer(
                502,
                &json!({"errors": [{"code": "BadGateway", "message": "upstream"}]}),
            );
        }
    };
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .filter(|(name, _)| {
            !DROPPED
                .iter()
                .any(|d| name.as_str().eq_ignore_ascii_case(d))
        })
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect();
    let body = response.body_mut().read_to_vec().unwrap_or_default();
    (status, headers, body)
}
