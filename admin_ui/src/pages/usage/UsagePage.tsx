// Placeholder: the owner of this area replaces this module (keep the default export).
// Route: /w/:ws/e/:env/usage/* (see App.tsx); sub-pages go in this folder, routed inside this module.
import { Placeholder } from "../Placeholder";

export default function UsagePage() {
  return <Placeholder title="Usage" description="Requests, errors, tokens and latency over time." />;
}
