// Placeholder: the owner of this area replaces this module (keep the default export).
// Route: /w/:ws/e/:env/resources/* (see App.tsx); sub-pages go in this folder, routed inside this module.
import { Placeholder } from "../Placeholder";

export default function ResourcesPage() {
  return <Placeholder title="Resources" description="The models applications call by name: routing, fallback and capacity." />;
}
