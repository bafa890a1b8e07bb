// The shared components; pages import from here.
export { Button, ButtonLink, type ButtonProps, type ButtonVariant } from "./Button";
export { ConfirmDialog } from "./ConfirmDialog";
export { CopyableValue, CopyButton } from "./CopyButton";
export { DataTable, type Column } from "./DataTable";
export { EmptyState } from "./EmptyState";
export { ErrorBanner, Notice } from "./ErrorBanner";
export {
  CheckboxField,
  SelectField,
  TextArea,
  TextField,
  type SelectOption,
} from "./fields";
export { fieldError, FormError, paramConcerns, useForm, type FormState } from "./Form";
export { Loading } from "./Loading";
export { Modal } from "./Modal";
export { PageHeader } from "./PageHeader";
export { Tabs, type Tab } from "./Tabs";
// Connections area (shared with resources, API keys and the getting-started wizard).
export { CapacityEditor, capacitySummary, PERIODS } from "./CapacityEditor";
export { humanize, SchemaForm, schemaErrors, schemaFields, type SchemaField } from "./SchemaForm";
// Charts (SVG, no library): time series and bars, accessible, with their data as a table.
export { BarChart, TimeSeriesChart, type Bar, type TimeSeries } from "./charts";
