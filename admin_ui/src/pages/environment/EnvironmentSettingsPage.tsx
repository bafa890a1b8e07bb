// Placeholder: the owner of this area replaces this module (keep the default export).
// Route: /w/:ws/e/:env/settings/* (see App.tsx); sub-pages go in this folder, routed inside this module.
import { Placeholder } from "../Placeholder";

export default function EnvironmentSettingsPage() {
  return <Placeholder title="Environment settings" description="The environment's plugins, their settings, and what request records keep." />;
}
