import { defineConfig } from "vite";

// Vite's own transform (Oxc) compiles TSX with React's automatic runtime; no plugin is needed
// for a production build.
export default defineConfig({
  oxc: { jsx: { runtime: "automatic" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // The polyfill would be an inline script, which the server's CSP refuses.
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
});
