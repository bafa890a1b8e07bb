// Placeholder: the owner of this area replaces this module (keep the default export).
// Route: /users/* (see App.tsx); sub-pages go in this folder, routed inside this module.
import { Placeholder } from "../Placeholder";

export default function UsersPage() {
  return <Placeholder title="Users" description="Local accounts and the roles they hold." />;
}
