//! Where the native libraries live, and how they are loaded once per process.
//!
//! The setup step (`make setup`) unpacks `libpdfium.so` (from the PyPI wheel `pypdfium2`) and
//! `libonnxruntime.so.1.31.1` (from the wheel `onnxruntime`) into the git-ignored folder
//! `.deps/lib` of the project, and small model files into `.deps/models`. Nothing is downloaded at
//! build time. At run time the folder is found, in order, from:
//!
//! 1. an explicit folder given by configuration ([`NativeLibs::new`]), alone;
//! 2. else the environment variable `ASSISTANT_PARQUET_LIB_DIR` ([`LIB_DIR_ENV`]), alone;
//! 3. else `.deps/lib` of the project the running executable was built in
//!    (`target/<profile>/../../.deps/lib`), then of the source tree this crate was built from.
//!
//! A configured folder is authoritative: when it lacks a library the error says so, rather than
//! silently picking another copy.
//!
//! tesseract is linked at build time from Debian's `libtesseract-dev`; only its language data is
//! looked up at run time, by tesseract itself.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use pdfium_render::prelude::Pdfium;

use crate::{Error, Result};

/// Environment variable naming the folder holding the native libraries.
pub const LIB_DIR_ENV: &str = "ASSISTANT_PARQUET_LIB_DIR";
/// File name of the pdfium library unpacked by the setup step.
pub const PDFIUM_LIB: &str = "libpdfium.so";
/// File name of the onnxruntime library unpacked by the setup step (version pinned).
pub const ONNXRUNTIME_LIB: &str = "libonnxruntime.so.1.31.1";

/// The set of folders searched for native libraries and model files.
#[derive(Debug, Clone)]
pub struct NativeLibs {
    candidates: Vec<PathBuf>,
}

impl Default for NativeLibs {
    fn default() -> Self {
        Self::new(None)
    }
}

impl NativeLibs {
    /// Search `explicit` alone when given, else the locations listed in the module doc.
    pub fn new(explicit: Option<&Path>) -> Self {
        if let Some(dir) = explicit {
            return Self { candidates: vec![dir.to_path_buf()] };
        }
        if let Some(dir) = std::env::var_os(LIB_DIR_ENV).filter(|v| !v.is_empty()) {
            return Self { candidates: vec![PathBuf::from(dir)] };
        }
        let mut candidates = Vec::new();
        if let Ok(exe) = std::env::current_exe() {
            // target/<profile>/assistant-parquet, or target/<profile>/deps/<test binary>
            for up in exe.ancestors().skip(1).take(4) {
                candidates.push(up.join(".deps/lib"));
            }
        }
        candidates.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.deps/lib"));
        candidates.dedup();
        Self { candidates }
    }

    /// The folders searched, in order.
    pub fn candidates(&self) -> &[PathBuf] {
        &self.candidates
    }

    /// Full path of the library or file `name`, from the first folder that holds it.
    pub fn locate(&self, name: &'static str) -> Result<PathBuf> {
        self.candidates
            .iter()
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
            .ok_or_else(|| self.missing(name, "fichier absent".into()))
    }

    /// The models folder (`.deps/models`) beside the libraries folder that holds `libpdfium.so`.
    pub fn models_dir(&self) -> Result<PathBuf> {
        let lib = self.locate(PDFIUM_LIB)?;
        let dir = lib.parent().and_then(Path::parent).map(|d| d.join("models"));
        dir.filter(|d| d.is_dir())
            .ok_or_else(|| Error::ModelMissing(PathBuf::from(".deps/models")))
    }

    /// Full path of a model file shipped by the setup step.
    pub fn model(&self, file: &str) -> Result<PathBuf> {
        let path = self.models_dir()?.join(file);
        if path.is_file() { Ok(path) } else { Err(Error::ModelMissing(path)) }
    }

    fn missing(&self, name: &'static str, reason: String) -> Error {
        let searched = self
            .candidates
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        Error::NativeLibrary { name, searched, reason }
    }

    /// Check that every native library is present and loads, without keeping anything.
    /// Used at start-up so a broken install fails fast with a clear message.
    pub fn check(&self) -> Result<()> {
        self.pdfium()?;
        self.init_onnxruntime()?;
        Ok(())
    }

    /// The process-wide pdfium instance, bound on first use.
    ///
    /// pdfium keeps global state, so there is exactly one binding per process; later calls return
    /// it whatever folder they name.
    pub fn pdfium(&self) -> Result<&'static Pdfium> {
        static PDFIUM: OnceLock<Pdfium> = OnceLock::new();
        if let Some(p) = PDFIUM.get() {
            return Ok(p);
        }
        let path = self.locate(PDFIUM_LIB)?;
        let bindings = Pdfium::bind_to_library(&path)
            .map_err(|e| self.missing(PDFIUM_LIB, format!("chargement impossible : {e}")))?;
        Ok(PDFIUM.get_or_init(|| Pdfium::new(bindings)))
    }

    /// Load onnxruntime from the project folder, once per process, and return its environment.
    pub fn init_onnxruntime(&self) -> Result<ort::environment::Environment> {
        static ENV: OnceLock<std::result::Result<ort::environment::Environment, String>> = OnceLock::new();
        let env = ENV.get_or_init(|| {
            let path = self.locate(ONNXRUNTIME_LIB).map_err(|e| e.to_string())?;
            let builder = ort::init_from(&path).map_err(|e| {
                self.missing(ONNXRUNTIME_LIB, format!("chargement impossible : {e}")).to_string()
            })?;
            builder.with_name("assistant-parquet").build().map_err(|e| e.to_string())
        });
        env.clone().map_err(Error::Onnx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_library_names_the_setup_command() {
        let libs = NativeLibs { candidates: vec![PathBuf::from("/nonexistent/lib")] };
        let err = libs.locate(PDFIUM_LIB).unwrap_err().to_string();
        assert!(err.contains("make setup"), "{err}");
        assert!(err.contains("/nonexistent/lib"), "{err}");
        assert!(err.contains(PDFIUM_LIB), "{err}");
    }

    #[test]
    fn explicit_folder_is_authoritative() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(PDFIUM_LIB), b"not really a library").unwrap();
        let libs = NativeLibs::new(Some(dir.path()));
        assert_eq!(libs.candidates(), [dir.path().to_path_buf()]);
        assert_eq!(libs.locate(PDFIUM_LIB).unwrap(), dir.path().join(PDFIUM_LIB));
        // A library the configured folder lacks is an error, not a silent fallback.
        assert!(libs.locate(ONNXRUNTIME_LIB).unwrap_err().to_string().contains("make setup"));
    }
}
