// Route: /w/:ws/e/:env/resources/* — the environment's AI resources.
//   (index)      the list
//   new          create
//   :name        the resource, its routing dry run, delete
//   :name/edit   edit (primary model, routing rules, fallback chain, capacity, keys)
import { Route, Routes } from "react-router-dom";
import NotFoundPage from "../NotFoundPage";
import { ResourceDetailPage } from "./ResourceDetail";
import { EditResourcePage, NewResourcePage } from "./ResourceEditor";
import { ResourceListPage } from "./ResourceList";

export default function ResourcesPage() {
  return (
    <Routes>
      <Route index element={<ResourceListPage />} />
      <Route path="new" element={<NewResourcePage />} />
      <Route path=":name" element={<ResourceDetailPage />} />
      <Route path=":name/edit" element={<EditResourcePage />} />
      <Route path="*" element={<NotFoundPage />} />
    </Routes>
  );
}
