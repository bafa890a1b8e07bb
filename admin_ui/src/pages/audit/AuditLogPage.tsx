// The request audit of the selected environment: every request the gateway answered, newest
// first, with filters kept in the URL, "Load more" pages (keyset cursors), export links, and
// the detail of one request at .../audit/<request id> (deep-linkable).

import { Route, Routes } from "react-router-dom";
import { AuditList } from "./AuditList";
import { AuditDetail } from "./AuditDetail";

export default function AuditLogPage() {
  return (
    <Routes>
      <Route index element={<AuditList />} />
      <Route path=":requestId" element={<AuditDetail />} />
    </Routes>
  );
}
