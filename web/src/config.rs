//! Configuration: a TOML file, overridden by environment variables, overridden by flags.
//!
//! Every setting has a default that works on a developer machine after `make setup`, so
//! `assistant-parquet serve` needs no configuration at all. Deployments set a file:
//!
//! ```toml
//! addr = "127.0.0.1:8080"
//! data_dir = "/var/lib/assistant-parquet"
//! lib_dir = "/opt/assistant-parquet/lib"     # libpdfium.so, libonnxruntime.so.1.31.1
//! ui_dir = "/opt/assistant-parquet/ui"       # the built web application
//!
//! [auth]
//! mode = "local"            # local accounts (argon2); "oidc" is reserved for the justice SSO
//! secure_cookie = true      # behind HTTPS: the session cookie is sent over HTTPS only
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

/// Default listening address.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// The settings a configuration file may hold. All optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub addr: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub lib_dir: Option<PathBuf>,
    pub ui_dir: Option<PathBuf>,
    #[serde(default)]
    pub auth: AuthConfig,
}

/// How users log in (`[auth]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// `local`: accounts in the data directory (`assistant-parquet account add`). OpenID Connect
    /// (the justice SSO) will be a second mode creating the same sessions.
    #[serde(default = "AuthConfig::local")]
    pub mode: String,
    /// Mark the session cookie `Secure` (sent over HTTPS only). Off by default for local use.
    #[serde(default)]
    pub secure_cookie: bool,
}

impl AuthConfig {
    fn local() -> String {
        "local".into()
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self { mode: Self::local(), secure_cookie: false }
    }
}

impl ConfigFile {
    /// Read `path` when given; no file means every setting takes its default.
    pub fn load(path: Option<&Path>) -> Result<Self> {
        let Some(path) = path else { return Ok(Self::default()) };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("lecture du fichier de configuration {}", path.display()))?;
        toml::from_str(&text)
            .with_context(|| format!("fichier de configuration invalide : {}", path.display()))
    }
}

/// Flags of `serve`; each also reads its environment variable.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port, printed at start).
    #[arg(long, env = "ASSISTANT_PARQUET_ADDR")]
    pub addr: Option<SocketAddr>,
    /// Data directory (database, uploaded files). Created if missing.
    #[arg(long, env = "ASSISTANT_PARQUET_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Folder holding libpdfium.so and libonnxruntime.so (default: the project's .deps/lib).
    #[arg(long, env = "ASSISTANT_PARQUET_LIB_DIR")]
    pub lib_dir: Option<PathBuf>,
    /// Folder of the built web application (default: web/ui/dist of the source tree).
    #[arg(long, env = "ASSISTANT_PARQUET_UI_DIR")]
    pub ui_dir: Option<PathBuf>,
    /// Load the demonstration dossiers (the committed synthetic sample) at start.
    #[arg(long, env = "ASSISTANT_PARQUET_DEMO")]
    pub demo: bool,
    /// Limits of the collaborative workspace (WebSocket rooms).
    #[command(flatten)]
    pub workspace: crate::collab::Limits,
    /// Upload limits.
    #[command(flatten)]
    pub upload: crate::api::UploadLimits,
    /// Mark the session cookie `Secure` (HTTPS only); also `[auth] secure_cookie` in the file.
    #[arg(long, env = "ASSISTANT_PARQUET_SECURE_COOKIE")]
    pub secure_cookie: bool,
}

/// Resolved settings of the server.
#[derive(Debug, Clone)]
pub struct Settings {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    pub lib_dir: Option<PathBuf>,
    pub ui_dir: PathBuf,
    /// Folder of demonstration dossiers to load at start (`--demo`), one sub-folder per dossier.
    pub demo_dir: Option<PathBuf>,
    pub workspace: crate::collab::Limits,
    pub upload: crate::api::UploadLimits,
    pub auth: AuthConfig,
}

impl Settings {
    /// Merge flags/environment over the file over the defaults, and check the UI is built.
    pub fn resolve(file: &ConfigFile, args: &ServeArgs) -> Result<Self> {
        let addr = args.addr.or(file.addr).unwrap_or_else(|| DEFAULT_ADDR.parse().expect("valid default"));
        let data_dir = args.data_dir.clone().or_else(|| file.data_dir.clone()).unwrap_or_else(|| "data".into());
        let lib_dir = args.lib_dir.clone().or_else(|| file.lib_dir.clone());
        let ui_dir = args
            .ui_dir
            .clone()
            .or_else(|| file.ui_dir.clone())
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/dist"));
        if !ui_dir.join("index.html").is_file() {
            bail!(
                "application web introuvable dans {} : lancez `make setup` pour la construire, \
                 ou indiquez son dossier avec ASSISTANT_PARQUET_UI_DIR",
                ui_dir.display()
            );
        }
        let demo_dir = args.demo.then(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../datasets/sample"));
        let mut auth = file.auth.clone();
        if auth.mode != "local" {
            bail!("mode d'authentification « {} » non pris en charge : seul « local » existe pour l'instant", auth.mode);
        }
        auth.secure_cookie |= args.secure_cookie;
        Ok(Self { addr, data_dir, lib_dir, ui_dir, demo_dir, workspace: args.workspace.clone(), upload: args.upload.clone(), auth })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> ServeArgs {
        ServeArgs {
            addr: None,
            data_dir: None,
            lib_dir: None,
            ui_dir: None,
            demo: false,
            workspace: Default::default(),
            upload: Default::default(),
            secure_cookie: false,
        }
    }

    #[test]
    fn flags_override_file_and_file_overrides_defaults() {
        let ui = tempfile::tempdir().unwrap();
        std::fs::write(ui.path().join("index.html"), "<html></html>").unwrap();
        let file: ConfigFile = toml::from_str(&format!(
            "addr = \"127.0.0.1:9000\"\ndata_dir = \"/srv/ap\"\nui_dir = \"{}\"",
            ui.path().display()
        ))
        .unwrap();
        let s = Settings::resolve(&file, &args()).unwrap();
        assert_eq!(s.addr.port(), 9000);
        assert_eq!(s.data_dir, PathBuf::from("/srv/ap"));

        let mut a = args();
        a.addr = Some("127.0.0.1:7000".parse().unwrap());
        let s = Settings::resolve(&file, &a).unwrap();
        assert_eq!(s.addr.port(), 7000);
        assert_eq!(s.data_dir, PathBuf::from("/srv/ap"));
    }

    #[test]
    fn unknown_keys_and_missing_ui_are_clear_errors() {
        assert!(toml::from_str::<ConfigFile>("adress = \"x\"").is_err());
        let mut a = args();
        a.ui_dir = Some("/nonexistent/ui".into());
        let err = Settings::resolve(&ConfigFile::default(), &a).unwrap_err().to_string();
        assert!(err.contains("make setup"), "{err}");
        let file: ConfigFile = toml::from_str("[auth]\nmode = \"oidc\"").unwrap();
        let ui = tempfile::tempdir().unwrap();
        std::fs::write(ui.path().join("index.html"), "").unwrap();
        let mut a = args();
        a.ui_dir = Some(ui.path().into());
        let err = Settings::resolve(&file, &a).unwrap_err().to_string();
        assert!(err.contains("oidc"), "{err}");
        let file: ConfigFile = toml::from_str("[auth]\nsecure_cookie = true").unwrap();
        assert!(Settings::resolve(&file, &a).unwrap().auth.secure_cookie);
    }
}
