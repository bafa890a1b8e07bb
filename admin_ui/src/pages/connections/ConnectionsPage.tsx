// Placeholder: the owner of this area replaces this module (keep the default export).
// Route: /w/:ws/e/:env/connections/* (see App.tsx); sub-pages go in this folder, routed inside this module.
import { Placeholder } from "../Placeholder";

export default function ConnectionsPage() {
  return <Placeholder title="Connections" description="The provider accounts this environment calls, with their capacity and allowed models." />;
}
