// Builds the UI into the core package (core/src/switchboard/ui_build), which the gateway
// serves at /ui/ and the wheel ships; see admin_ui/README.md. `npm run dev` serves it with
// hot reload and sends /api to a running gateway (SWITCHBOARD_URL, default :8000).
import react from "@vitejs/plugin-react";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const gateway = process.env.SWITCHBOARD_URL ?? "http://127.0.0.1:8000";

export default defineConfig({
  base: "/ui/",
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL("../core/src/switchboard/ui_build", import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
  },
  server: {
    port: 5173,
    proxy: {
      "/api": { target: gateway, changeOrigin: false },
      "/v1": { target: gateway, changeOrigin: false },
    },
  },
});
