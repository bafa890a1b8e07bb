// Placeholder: the owner of this area replaces this module (keep the default export).
// Route: /workspaces/* (incl. /workspaces/new) (see App.tsx); sub-pages go in this folder, routed inside this module.
import { Placeholder } from "../Placeholder";

export default function WorkspacesPage() {
  return <Placeholder title="Workspaces" description="Workspaces and their members and environments." />;
}
