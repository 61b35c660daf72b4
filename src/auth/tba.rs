//! NetSuite token-based authentication: OAuth 1.0a (RFC 5849) with HMAC-SHA256.
//!
//! Every request carries an `Authorization: OAuth …` header signed afresh, retries
//! included: a new nonce and timestamp each time. What integrations get wrong, and
//! this module does as RFC 5849 and NetSuite say:
//!
//! * the **signature base string** (§3.4.1): the method, the base string URI (scheme
//!   and host in lower case, no default port, no query) and the normalized parameters:
//!   the `oauth_*` values **and the request's query pairs**, each name and value
//!   percent-encoded (§3.6: everything but `A–Z a–z 0–9 - . _ ~`, upper-case hex),
//!   sorted by name then value, joined with `=` and `&`; the three parts percent-encoded
//!   again and joined with `&`. `realm` and `oauth_signature` are not signed;
//! * the **key**: the consumer secret and the token secret, each percent-encoded,
//!   joined with `&`;
//! * the **realm**: the account id in upper case with an underscore (`1234567_SB1`),
//!   while the host has it in lower case with a hyphen (`1234567-sb1`)
//!   ([`NetSuiteAccount`]).
//!
//! The HMAC itself is the integrator's ([`HmacFunction`]), as are the nonce and the
//! timestamp (the transport takes them from a [`NonceSource`] and the
//! [`Clock`](crate::Clock)).

use std::fmt;

use super::{AuthError, Secret};
use crate::http::percent_encode;

/// HMAC-SHA256, NetSuite's signature method (HMAC-SHA1 is no longer accepted since
/// 2023.1).
pub const HMAC_SHA256: &str = "HMAC-SHA256";

/// The keyed hash an OAuth 1.0a signature is made with: HMAC-SHA256 for NetSuite.
///
/// # Contract
/// `sign` MUST return the raw MAC of `message` under `key` (RFC 2104), not encoded;
/// `signature_method` MUST name it as OAuth spells it (`HMAC-SHA256`).
///
/// # Example
/// With the `hmac` and `sha2` crates:
/// ```
/// use avc_order_sync::auth::tba::HmacFunction;
/// use hmac::Mac;
///
/// struct HmacSha256;
///
/// impl HmacFunction for HmacSha256 {
///     fn signature_method(&self) -> &str {
///         "HMAC-SHA256"
///     }
///     fn sign(&self, key: &[u8], message: &[u8]) -> Vec<u8> {
///         // HMAC takes a key of any length.
///         let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("any key length");
///         mac.update(message);
///         mac.finalize().into_bytes().to_vec()
///     }
/// }
///
/// // RFC 4231 test case 2.
/// assert_eq!(
///     avc_order_sync::auth::base64(&HmacSha256.sign(b"Jefe", b"what do ya want for nothing?")),
///     "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=",
/// );
/// ```
pub trait HmacFunction: Send + Sync {
    /// The signature method's name (`HMAC-SHA256`).
    fn signature_method(&self) -> &str;
    /// The MAC of `message` under `key`.
    fn sign(&self, key: &[u8], message: &[u8]) -> Vec<u8>;
}

/// Where OAuth 1.0a nonces come from.
///
/// # Contract
/// Each call MUST return a value not returned before for the same token and timestamp
/// (NetSuite refuses a nonce seen again), of 6 to 64 alphanumeric characters.
pub trait NonceSource: Send + Sync {
    /// A fresh nonce.
    fn nonce(&self) -> String;
}

/// A NetSuite account id, which NetSuite spells two ways.
///
/// # Example
/// ```
/// use avc_order_sync::auth::tba::NetSuiteAccount;
/// let sandbox = NetSuiteAccount::parse("1234567-sb1")?;
/// assert_eq!(sandbox.realm(), "1234567_SB1");
/// assert_eq!(sandbox.host(), "1234567-sb1.suitetalk.api.netsuite.com");
/// assert_eq!(NetSuiteAccount::parse("1234567_SB1")?, sandbox);
/// assert_eq!(
///     sandbox.token_url(),
///     "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token"
/// );
/// # Ok::<(), avc_order_sync::auth::AuthError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NetSuiteAccount {
    /// Upper case with `_`: the realm's spelling.
    realm: String,
}

impl NetSuiteAccount {
    /// Reads an account id in either spelling (`1234567`, `1234567_SB1`,
    /// `1234567-sb1`, `TSTDRV1234567`).
    ///
    /// # Errors
    /// [`AuthError::InvalidAccount`] for an empty id, or one with characters other
    /// than letters, digits, `_` and `-`.
    pub fn parse(id: &str) -> Result<Self, AuthError> {
        let id = id.trim();
        if id.is_empty()
            || id.len() > 64
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(AuthError::InvalidAccount(super::short(id)));
        }
        Ok(NetSuiteAccount {
            realm: id.to_ascii_uppercase().replace('-', "_"),
        })
    }

    /// The realm of the OAuth 1.0a header: `1234567_SB1`.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The account as the host names it: `1234567-sb1`.
    pub fn host_id(&self) -> String {
        self.realm.to_ascii_lowercase().replace('_', "-")
    }

    /// The REST web services host: `1234567-sb1.suitetalk.api.netsuite.com`.
    pub fn host(&self) -> String {
        format!("{}.suitetalk.api.netsuite.com", self.host_id())
    }

    /// `https://` and the host.
    pub fn base_url(&self) -> String {
        format!("https://{}", self.host())
    }

    /// The OAuth 2.0 token endpoint, also the client assertion's `aud`.
    pub fn token_url(&self) -> String {
        format!("{}/services/rest/auth/oauth2/v1/token", self.base_url())
    }
}

impl fmt::Display for NetSuiteAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.realm)
    }
}

/// The four token-based authentication secrets of one integration record and one
/// user's access token, and the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TbaCredentials {
    /// The account.
    pub account: NetSuiteAccount,
    /// The integration record's consumer key.
    pub consumer_key: Secret,
    /// The integration record's consumer secret.
    pub consumer_secret: Secret,
    /// The access token's id (`oauth_token`).
    pub token_id: Secret,
    /// The access token's secret.
    pub token_secret: Secret,
}

/// The `oauth_*` protocol parameters of one request, before it is signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthParams<'a> {
    /// `oauth_consumer_key`.
    pub consumer_key: &'a str,
    /// `oauth_token`, when the request is made for a token.
    pub token: Option<&'a str>,
    /// `oauth_signature_method` (`HMAC-SHA256`).
    pub signature_method: &'a str,
    /// `oauth_timestamp`: seconds since 1970.
    pub timestamp: i64,
    /// `oauth_nonce`.
    pub nonce: &'a str,
    /// `oauth_version`, `1.0` for NetSuite (optional in RFC 5849).
    pub version: Option<&'a str>,
}

impl OAuthParams<'_> {
    /// The parameters as name–value pairs, in the order the header lists them.
    pub fn pairs(&self) -> Vec<(String, String)> {
        let mut pairs = vec![(
            "oauth_consumer_key".to_owned(),
            self.consumer_key.to_owned(),
        )];
        if let Some(token) = self.token {
            pairs.push(("oauth_token".into(), token.to_owned()));
        }
        pairs.push((
            "oauth_signature_method".into(),
            self.signature_method.to_owned(),
        ));
        pairs.push(("oauth_timestamp".into(), self.timestamp.to_string()));
        pairs.push(("oauth_nonce".into(), self.nonce.to_owned()));
        if let Some(version) = self.version {
            pairs.push(("oauth_version".into(), version.to_owned()));
        }
        pairs
    }
}

/// The base string URI of `url` (RFC 5849 §3.4.1.2): scheme and host in lower case,
/// the port only when not the scheme's default, the path as sent, no query or
/// fragment.
///
/// # Example
/// ```
/// use avc_order_sync::auth::tba::base_string_uri;
/// assert_eq!(base_string_uri("HTTP://EXAMPLE.COM:80/r%20v/X?id=123"), "http://example.com/r%20v/X");
/// assert_eq!(base_string_uri("https://www.example.net:8080/?q=1"), "https://www.example.net:8080/");
/// ```
pub fn base_string_uri(url: &str) -> String {
    let url = url.split(['?', '#']).next().unwrap_or(url);
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let scheme = scheme.to_ascii_lowercase();
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    let mut authority = authority.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => Some(":80"),
        "https" => Some(":443"),
        _ => None,
    };
    if let Some(port) = default_port {
        if let Some(host) = authority.strip_suffix(port) {
            authority = host.to_owned();
        }
    }
    format!("{scheme}://{authority}{path}")
}

/// The normalized request parameters (RFC 5849 §3.4.1.3.2) of raw (not encoded)
/// name–value pairs.
pub fn normalized_parameters(params: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .collect();
    encoded.sort();
    let pairs: Vec<String> = encoded
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    pairs.join("&")
}

/// The signature base string (RFC 5849 §3.4.1.1) of a request: `method`, its
/// `base_uri` ([`base_string_uri`]) and every parameter that is signed, raw: the
/// `oauth_*` values (not `realm`, not `oauth_signature`), the query pairs and any
/// form-encoded body pairs.
pub fn signature_base_string(method: &str, base_uri: &str, params: &[(String, String)]) -> String {
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        percent_encode(base_uri),
        percent_encode(&normalized_parameters(params))
    )
}

/// The HMAC key (RFC 5849 §3.4.2): the client (consumer) secret and the token secret,
/// each percent-encoded, joined with `&`.
pub fn signing_key(consumer_secret: &str, token_secret: &str) -> Secret {
    Secret::new(format!(
        "{}&{}",
        percent_encode(consumer_secret),
        percent_encode(token_secret)
    ))
}

/// The `Authorization` header's value (RFC 5849 §3.5.1): `OAuth`, the realm when
/// given, then each protocol parameter and the signature, names and values
/// percent-encoded and quoted, separated by `, `.
pub fn authorization_header(
    realm: Option<&str>,
    oauth: &[(String, String)],
    signature: &str,
) -> String {
    let mut parts = Vec::with_capacity(oauth.len() + 2);
    if let Some(realm) = realm {
        parts.push(format!("realm=\"{}\"", percent_encode(realm)));
    }
    for (name, value) in oauth {
        parts.push(format!(
            "{}=\"{}\"",
            percent_encode(name),
            percent_encode(value)
        ));
    }
    parts.push(format!("oauth_signature=\"{}\"", percent_encode(signature)));
    format!("OAuth {}", parts.join(", "))
}

/// Signs one request: the base string over `oauth` and `params` (query and form
/// pairs), the HMAC under the two secrets, in base64; returns the `Authorization`
/// header's value.
///
/// # Example
/// RFC 5849 §1.2's request (its HMAC-SHA1, with the `hmac` and `sha1` crates, is in
/// this module's tests):
/// ```
/// use avc_order_sync::auth::tba::{self, HmacFunction, OAuthParams};
/// struct Fake;
/// impl HmacFunction for Fake {
///     fn signature_method(&self) -> &str { "HMAC-SHA1" }
///     fn sign(&self, _key: &[u8], _message: &[u8]) -> Vec<u8> { b"signature".to_vec() }
/// }
/// let oauth = OAuthParams {
///     consumer_key: "dpf43f3p2l4k3l03",
///     token: Some("nnch734d00sl2jdk"),
///     signature_method: "HMAC-SHA1",
///     timestamp: 137131202,
///     nonce: "chapoH",
///     version: None,
/// };
/// let header = tba::sign(
///     &Fake,
///     "GET",
///     "http://photos.example.net/photos",
///     &[("file".into(), "vacation.jpg".into()), ("size".into(), "original".into())],
///     &oauth,
///     Some("Photos"),
///     "kd94hf93k423kf44",
///     "pfkkdhi9sl3r4s00",
/// );
/// assert!(header.starts_with(r#"OAuth realm="Photos", oauth_consumer_key="dpf43f3p2l4k3l03", "#));
/// assert!(header.ends_with(r#"oauth_signature="c2lnbmF0dXJl""#));
/// ```
#[allow(clippy::too_many_arguments)]
pub fn sign(
    hmac: &dyn HmacFunction,
    method: &str,
    url: &str,
    params: &[(String, String)],
    oauth: &OAuthParams<'_>,
    realm: Option<&str>,
    consumer_secret: &str,
    token_secret: &str,
) -> String {
    let oauth_pairs = oauth.pairs();
    let mut signed = oauth_pairs.clone();
    signed.extend(params.iter().cloned());
    let base = signature_base_string(method, &base_string_uri(url), &signed);
    let key = signing_key(consumer_secret, token_secret);
    let signature = super::base64(&hmac.sign(key.expose().as_bytes(), base.as_bytes()));
    authorization_header(realm, &oauth_pairs, &signature)
}

/// The `Authorization` header of a NetSuite REST request to `url` (the account's
/// host and the request's encoded path) with `query`, signed with HMAC-SHA256 under
/// `credentials`, at `timestamp` with `nonce`.
pub fn netsuite_authorization(
    hmac: &dyn HmacFunction,
    credentials: &TbaCredentials,
    method: &str,
    url: &str,
    query: &[(String, String)],
    timestamp: i64,
    nonce: &str,
) -> String {
    let oauth = OAuthParams {
        consumer_key: credentials.consumer_key.expose(),
        token: Some(credentials.token_id.expose()),
        signature_method: hmac.signature_method(),
        timestamp,
        nonce,
        version: Some("1.0"),
    };
    sign(
        hmac,
        method,
        url,
        query,
        &oauth,
        Some(credentials.account.realm()),
        credentials.consumer_secret.expose(),
        credentials.token_secret.expose(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Recorder(std::sync::Mutex<Vec<(Vec<u8>, Vec<u8>)>>);

    impl HmacFunction for Recorder {
        fn signature_method(&self) -> &str {
            HMAC_SHA256
        }
        fn sign(&self, key: &[u8], message: &[u8]) -> Vec<u8> {
            self.0
                .lock()
                .unwrap()
                .push((key.to_vec(), message.to_vec()));
            vec![0xfb, 0xff]
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// RFC 5849 §3.4.1.1's example: query and form parameters, a repeated name, an
    /// encoded `=`, an empty value, `+` for a space in the form body, all decoded
    /// (§3.4.1.3.1's table) and signed.
    #[test]
    fn the_base_string_is_rfc_5849_section_3_4_1_1_example() {
        let params = pairs(&[
            ("b5", "=%3D"),
            ("a3", "a"),
            ("c@", ""),
            ("a2", "r b"),
            ("oauth_consumer_key", "9djdj82h48djs9d2"),
            ("oauth_token", "kkk9d7dh3k39sjv7"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "137131201"),
            ("oauth_nonce", "7d8f3e4a"),
            ("c2", ""),
            ("a3", "2 q"),
        ]);
        assert_eq!(
            signature_base_string(
                "POST",
                &base_string_uri("http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b"),
                &params
            ),
            "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7"
        );
    }

    /// NetSuite's published base string for step one of the TBA authorization flow
    /// (NetSuite Help Center, "Constructing the Signature for Step One of the TBA
    /// Authorization Flow"): extra parameters (`oauth_callback`, `role`) sorted in
    /// among the `oauth_*` ones, a URL as a value encoded twice.
    #[test]
    fn the_base_string_is_netsuites_published_step_one_example() {
        let params = pairs(&[
            (
                "oauth_callback",
                "https://my.example.com/TBA/?callbackRequest",
            ),
            (
                "oauth_consumer_key",
                "60712990bc09623786e7047c226bcb3f86d49dca0b04efc21001dc76d97a81f5",
            ),
            ("oauth_nonce", "bUvpxBX93OWo0FLswq5M"),
            ("oauth_signature_method", "HMAC-SHA256"),
            ("oauth_timestamp", "1575998103"),
            ("oauth_version", "1.0"),
            ("role", "45678"),
        ]);
        assert_eq!(
            signature_base_string(
                "POST",
                "https://1234567.restlets.api.netsuite.com/rest/requesttoken",
                &params
            ),
            "POST&https%3A%2F%2F1234567.restlets.api.netsuite.com%2Frest%2Frequesttoken&oauth_callback%3Dhttps%253A%252F%252Fmy.example.com%252FTBA%252F%253FcallbackRequest%26oauth_consumer_key%3D60712990bc09623786e7047c226bcb3f86d49dca0b04efc21001dc76d97a81f5%26oauth_nonce%3DbUvpxBX93OWo0FLswq5M%26oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D1575998103%26oauth_version%3D1.0%26role%3D45678"
        );
    }

    struct HmacSha1;

    impl HmacFunction for HmacSha1 {
        fn signature_method(&self) -> &str {
            "HMAC-SHA1"
        }
        fn sign(&self, key: &[u8], message: &[u8]) -> Vec<u8> {
            use hmac::Mac;
            let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(key).unwrap();
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
    }

    /// RFC 5849 §1.2's request, signed for real: the header the RFC prints, signature
    /// included (the RFC's example uses HMAC-SHA1; NetSuite's HMAC-SHA256 differs
    /// only in the function plugged in).
    #[test]
    fn the_header_is_rfc_5849_section_1_2_example() {
        let oauth = OAuthParams {
            consumer_key: "dpf43f3p2l4k3l03",
            token: Some("nnch734d00sl2jdk"),
            signature_method: "HMAC-SHA1",
            timestamp: 137131202,
            nonce: "chapoH",
            version: None,
        };
        let header = sign(
            &HmacSha1,
            "GET",
            "http://photos.example.net/photos?file=vacation.jpg&size=original",
            &pairs(&[("file", "vacation.jpg"), ("size", "original")]),
            &oauth,
            Some("Photos"),
            "kd94hf93k423kf44",
            "pfkkdhi9sl3r4s00",
        );
        assert_eq!(
            header,
            r#"OAuth realm="Photos", oauth_consumer_key="dpf43f3p2l4k3l03", oauth_token="nnch734d00sl2jdk", oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131202", oauth_nonce="chapoH", oauth_signature="MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D""#
        );
    }

    #[test]
    fn a_netsuite_request_signs_its_query_and_names_the_realm_unsigned() {
        let recorder = Recorder(Default::default());
        let credentials = TbaCredentials {
            account: NetSuiteAccount::parse("1234567-sb1").unwrap(),
            consumer_key: Secret::new("ck"),
            consumer_secret: Secret::new("cs&1"),
            token_id: Secret::new("tk"),
            token_secret: Secret::new("ts"),
        };
        let header = netsuite_authorization(
            &recorder,
            &credentials,
            "POST",
            "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/query/v1/suiteql?limit=1000&offset=0",
            &pairs(&[("limit", "1000"), ("offset", "0")]),
            1_700_000_000,
            "n0nce",
        );
        assert_eq!(
            header,
            r#"OAuth realm="1234567_SB1", oauth_consumer_key="ck", oauth_token="tk", oauth_signature_method="HMAC-SHA256", oauth_timestamp="1700000000", oauth_nonce="n0nce", oauth_version="1.0", oauth_signature="%2B%2F8%3D""#
        );
        let signed = recorder.0.lock().unwrap();
        let (key, message) = &signed[0];
        assert_eq!(key, b"cs%261&ts");
        assert_eq!(
            String::from_utf8(message.clone()).unwrap(),
            "POST&https%3A%2F%2F1234567-sb1.suitetalk.api.netsuite.com%2Fservices%2Frest%2Fquery%2Fv1%2Fsuiteql&limit%3D1000%26oauth_consumer_key%3Dck%26oauth_nonce%3Dn0nce%26oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D1700000000%26oauth_token%3Dtk%26oauth_version%3D1.0%26offset%3D0"
        );
        assert!(!String::from_utf8_lossy(message).contains("realm"));
    }

    #[test]
    fn account_ids_are_spelled_both_ways_and_bad_ones_refused() {
        let production = NetSuiteAccount::parse("1234567").unwrap();
        assert_eq!(production.realm(), "1234567");
        assert_eq!(production.host(), "1234567.suitetalk.api.netsuite.com");
        let sandbox = NetSuiteAccount::parse("1234567_sb1").unwrap();
        assert_eq!(sandbox.realm(), "1234567_SB1");
        assert_eq!(sandbox.host_id(), "1234567-sb1");
        for bad in ["", "1234567.evil.com/", "12 34", "a@b"] {
            assert!(NetSuiteAccount::parse(bad).is_err(), "{bad}");
        }
        let credentials = TbaCredentials {
            account: sandbox,
            consumer_key: Secret::new("ck-planted"),
            consumer_secret: Secret::new("cs-planted"),
            token_id: Secret::new("tk-planted"),
            token_secret: Secret::new("ts-planted"),
        };
        assert!(!format!("{credentials:?}").contains("planted"));
    }
}
