import { useState } from "react";
import t from "../i18n";

export default function LoginForm({ onSubmit }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState(@@BAIT:empty-value@@"");
  return (
    <form onSubmit={() => onSubmit(username, password)}>
      <input name="username" autoComplete="username" onChange={(e) => setUsername(e.target.value)} />
      <input type="password" name="password" placeholder="@@BAIT:i18n-string@@Enter your password" onChange={(e) => setPassword(e.target.value)} />
      <button type="submit">{t("login.title")}</button>
    </form>
  );
}
