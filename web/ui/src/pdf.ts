// pdf.js set-up: the worker bundled by Vite, and one loading task per document URL (the
// consultable PDF: the original with an invisible OCR text layer over scanned pages).
import * as pdfjs from "pdfjs-dist";
import workerUrl from "pdfjs-dist/build/pdf.worker.min.mjs?url";
import "pdfjs-dist/web/pdf_viewer.css";

pdfjs.GlobalWorkerOptions.workerSrc = workerUrl;

const cache = new Map<string, Promise<pdfjs.PDFDocumentProxy>>();

export function loadPdf(url: string): Promise<pdfjs.PDFDocumentProxy> {
  let p = cache.get(url);
  if (!p) {
    p = pdfjs.getDocument({ url, withCredentials: true, isEvalSupported: false }).promise;
    p.catch(() => cache.delete(url));
    cache.set(url, p);
  }
  return p;
}

export { pdfjs };
