import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The Rust server serves `dist/`; during `npm run dev` API calls go to it.
export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      "/healthz": "http://127.0.0.1:8080",
      "/api": "http://127.0.0.1:8080",
      "/ws": { target: "ws://127.0.0.1:8080", ws: true },
    },
  },
});
