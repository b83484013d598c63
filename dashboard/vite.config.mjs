import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

// The dashboard's bundle (plain JavaScript, loaded as it is, with nothing written under node_modules): dashboard/dist, served by the server at `/` (src/http/dashboard-routes.ts).
export default defineConfig({
  root,
  base: '/',
  // Vite's own cache stays inside the dashboard folder.
  cacheDir: fileURLToPath(new URL('.vite', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    // The PDF renderer is a chunk of its own, loaded only by a PDF preview.
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      // The SDK reads Node file paths with node:fs, loaded only in Node; never in the page.
      external: [/^node:/],
    },
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
