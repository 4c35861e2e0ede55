import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// The bundle goes into the core layer, which serves it at / from the API's origin. The page's
// CSP is `script-src 'self'; style-src 'self'`: no inline script or style, no source maps.
export default defineConfig({
  plugins: [preact()],
  // Relative, so that the page works at a stage prefix (https://host/prod/) as well as at /.
  base: './',
  build: {
    outDir: '../layers/core/python/sculptops/http/static/console',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    modulePreload: { polyfill: false },
    // A data: URL would be inline content; every asset stays a file of its own.
    assetsInlineLimit: 0,
    cssCodeSplit: false,
  },
});
