// Placeholder: the owner of this area replaces this module (keep the default export).
// Route: /w/:ws/e/:env/api-keys/* (see App.tsx); sub-pages go in this folder, routed inside this module.
import { Placeholder } from "../Placeholder";

export default function ApiKeysPage() {
  return <Placeholder title="API keys" description="Keys applications use to call this environment's resources." />;
}
