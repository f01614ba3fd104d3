//! A thin safe wrapper over tesseract's C API, for the one thing the `tesseract` crate cannot do:
//! recognise with a deadline.
//!
//! A page can make tesseract run for minutes (dense noise, a huge picture of dots). One such page
//! must not hold an OCR worker, and the dossier behind it, forever: [`Tess::recognize`] takes a
//! time budget, passes it to tesseract's progress monitor (`ETEXT_DESC` deadline, checked
//! between words), and reports a page that ran out of time as such. Everything else is the
//! usual call sequence: init with a language, set a grey picture and its resolution, recognise,
//! read the TSV.

// The one module of the project that calls C directly; every block states why it is sound.
#![allow(unsafe_code)]

use std::ffi::{CStr, CString};
use std::time::Duration;

use tesseract_sys as sys;

/// Page layout analysis mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segmentation {
    /// Full page layout analysis (columns, blocks).
    Auto,
    /// The picture is one block of text lines.
    SingleBlock,
}

/// Why recognition produced nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TessError {
    /// Initialisation failed (language data missing).
    Init(String),
    /// The time budget ran out.
    Deadline(Duration),
    /// Recognition failed for another reason.
    Recognize,
    /// The picture is empty or too large for tesseract's `int` sizes.
    Picture,
}

/// One tesseract instance (not thread safe: one per worker thread).
pub struct Tess {
    handle: *mut sys::TessBaseAPI,
}

// The handle is used by one thread at a time (`&mut self` everywhere); tesseract instances may
// move between threads.
unsafe impl Send for Tess {}

impl std::fmt::Debug for Tess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tess").finish_non_exhaustive()
    }
}

impl Tess {
    /// An instance reading `language` with the system's language data.
    pub fn new(language: &str) -> Result<Self, TessError> {
        let lang = CString::new(language).map_err(|_| TessError::Init(language.to_string()))?;
        // SAFETY: create returns a fresh handle owned by `Tess` (deleted in Drop).
        let handle = unsafe { sys::TessBaseAPICreate() };
        if handle.is_null() {
            return Err(TessError::Init(language.to_string()));
        }
        let tess = Self { handle };
        // SAFETY: valid handle; null datapath = default; lang is a valid C string.
        let rc = unsafe { sys::TessBaseAPIInit3(tess.handle, std::ptr::null(), lang.as_ptr()) };
        if rc != 0 {
            return Err(TessError::Init(language.to_string()));
        }
        Ok(tess)
    }

    /// Recognise a grey picture (`width × height`, one byte per pixel, rows packed) and return
    /// tesseract's TSV. `budget` bounds the recognition time.
    pub fn tsv(
        &mut self,
        pixels: &[u8],
        width: u32,
        height: u32,
        dpi: u32,
        mode: Segmentation,
        budget: Option<Duration>,
    ) -> Result<String, TessError> {
        let (Ok(w), Ok(h)) = (i32::try_from(width), i32::try_from(height)) else { return Err(TessError::Picture) };
        if w == 0 || h == 0 || pixels.len() < width as usize * height as usize {
            return Err(TessError::Picture);
        }
        let seg = match mode {
            Segmentation::Auto => sys::TessPageSegMode_PSM_AUTO,
            Segmentation::SingleBlock => sys::TessPageSegMode_PSM_SINGLE_BLOCK,
        };
        // SAFETY: valid handle; tesseract copies the picture in SetImage; `pixels` outlives the call.
        unsafe {
            sys::TessBaseAPISetPageSegMode(self.handle, seg);
            sys::TessBaseAPISetImage(self.handle, pixels.as_ptr(), w, h, 1, w);
            sys::TessBaseAPISetSourceResolution(self.handle, dpi as i32);
        }
        let rc = match budget {
            Some(budget) => {
                let ms = i32::try_from(budget.as_millis()).unwrap_or(i32::MAX).max(1);
                // SAFETY: the monitor is created, used for this one call and deleted.
                unsafe {
                    let monitor = sys::TessMonitorCreate();
                    sys::TessMonitorSetDeadlineMSecs(monitor, ms);
                    let started = std::time::Instant::now();
                    let rc = sys::TessBaseAPIRecognize(self.handle, monitor);
                    sys::TessMonitorDelete(monitor);
                    if rc != 0 && started.elapsed() >= budget {
                        sys::TessBaseAPIClear(self.handle);
                        return Err(TessError::Deadline(budget));
                    }
                    rc
                }
            }
            // SAFETY: valid handle, no monitor.
            None => unsafe { sys::TessBaseAPIRecognize(self.handle, std::ptr::null_mut()) },
        };
        if rc != 0 {
            // SAFETY: valid handle.
            unsafe { sys::TessBaseAPIClear(self.handle) };
            return Err(TessError::Recognize);
        }
        // SAFETY: recognition done; the returned string is owned by us and freed with TessDeleteText.
        let text = unsafe {
            let ptr = sys::TessBaseAPIGetTsvText(self.handle, 0);
            if ptr.is_null() {
                sys::TessBaseAPIClear(self.handle);
                return Err(TessError::Recognize);
            }
            let s = CStr::from_ptr(ptr).to_string_lossy().into_owned();
            sys::TessDeleteText(ptr);
            sys::TessBaseAPIClear(self.handle);
            s
        };
        Ok(text)
    }
}

impl Drop for Tess {
    fn drop(&mut self) {
        // SAFETY: the handle was created by TessBaseAPICreate and is deleted once.
        unsafe {
            sys::TessBaseAPIEnd(self.handle);
            sys::TessBaseAPIDelete(self.handle);
        }
    }
}
