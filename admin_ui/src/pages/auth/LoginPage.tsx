import { Navigate, useNavigate, useSearchParams } from "react-router-dom";
import { useSession } from "../../auth/AuthContext";
import { Button, FormError, Loading, TextField, useForm } from "../../components";

/** Where to go after signing in: `next` when it is a path of this UI, else the start page. */
function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export default function LoginPage() {
  const session = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));
  const form = useForm({ username: "", password: "" });

  if (session.state.status === "loading") return <Loading />;
  if (session.state.status === "signed-in") return <Navigate to={next} replace />;

  const onSubmit = form.submit(async ({ username, password }) => {
    // Errors (wrong password, locked for a while) show in FormError, as the API says them.
    await session.signIn(username.trim(), password);
    navigate(next, { replace: true });
  });

  return (
    <div className="login-screen">
      <form className="card login-card" onSubmit={(event) => void onSubmit(event)} noValidate>
        <div className="login-brand">
          <img src={`${import.meta.env.BASE_URL}favicon.svg`} alt="" width={32} height={32} />
          <h1>Sign in to Switchboard</h1>
        </div>
        <FormError form={form} />
        <TextField
          label="Username or email"
          autoComplete="username"
          autoFocus
          required
          {...form.field("username")}
        />
        <TextField label="Password" type="password" autoComplete="current-password" required {...form.field("password")} />
        <Button type="submit" variant="primary" busy={form.submitting} className="btn-block">
          Sign in
        </Button>
      </form>
    </div>
  );
}
