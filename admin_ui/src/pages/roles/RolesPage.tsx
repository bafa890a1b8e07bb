// Placeholder: the owner of this area replaces this module (keep the default export).
// Route: /roles/* (see App.tsx); sub-pages go in this folder, routed inside this module.
import { Placeholder } from "../Placeholder";

export default function RolesPage() {
  return <Placeholder title="Roles" description="Roles and their policy statements." />;
}
