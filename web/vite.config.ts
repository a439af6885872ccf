import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const api = process.env.GIFTBUYER_API ?? 'http://127.0.0.1:18080';

// The dev server proxies the API; changeOrigin stays false so the Host header is
// Vite's own and the server's same-origin check (Origin vs Host) passes.
const proxy = {
  '/api': { target: api, changeOrigin: false, ws: false },
  '/metrics': { target: api, changeOrigin: false },
};

// The server's content security policy, applied by `vite preview` too, so a preview (and the
// e2e run against one) breaks the same way the embedded panel would.
const csp =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', sourcemap: false, chunkSizeWarningLimit: 800 },
  server: { proxy },
  preview: { proxy, headers: { 'Content-Security-Policy': csp } },
});
