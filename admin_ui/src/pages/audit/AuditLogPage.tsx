// Placeholder: the owner of this area replaces this module (keep the default export).
// Route: /w/:ws/e/:env/audit/* (see App.tsx); sub-pages go in this folder, routed inside this module.
import { Placeholder } from "../Placeholder";

export default function AuditLogPage() {
  return <Placeholder title="Audit log" description="Every request this environment answered, with its attempts and routing events." />;
}
