// Placeholder: the owner of this area replaces this module (keep the default export).
// Route: /w/:ws/* (see App.tsx); sub-pages go in this folder, routed inside this module.
import { Placeholder } from "../Placeholder";

export default function WorkspacePage() {
  return <Placeholder title="Workspace" description="A workspace: its members and environments." />;
}
