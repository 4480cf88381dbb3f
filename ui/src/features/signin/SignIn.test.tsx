import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { FakeBackend } from "../../backend/fake";
import { renderWith } from "../../test/render";
import { normaliseServerUrl, SignIn } from "./SignIn";

async function fillAndSubmit(server = "drive.example.com") {
  await userEvent.type(screen.getByTestId("signin-server"), server);
  await userEvent.type(screen.getByTestId("signin-email"), "me@example.com");
  await userEvent.type(screen.getByTestId("signin-password"), "secret");
  await userEvent.click(screen.getByTestId("signin-submit"));
}

test("signs in with a normalised server URL and the remember flag", async () => {
  const backend = new FakeBackend({ signedIn: false });
  const onSignedIn = vi.fn();
  renderWith(backend, <SignIn onSignedIn={onSignedIn} />);
  await userEvent.click(screen.getByTestId("signin-remember")); // default on → off
  await fillAndSubmit("drive.example.com/");
  expect(backend.callsOf("addAccount")).toEqual([["drive.example.com", "me@example.com", "secret", false]]);
  expect(onSignedIn).toHaveBeenCalledTimes(1);
});

test.each([
  ["unreachable", "Cannot reach the server"],
  ["notCloudreve", "does not look like a Cloudreve"],
  ["wrongPassword", "Wrong email or password."],
  ["captchaRequired", "requires a captcha"],
  ["tls", "Secure connection failed. rejected by fake"],
  ["somethingNew", "Something went wrong: rejected by fake"],
])("shows a clear message for error kind %s", async (kind, text) => {
  renderWith(new FakeBackend({ signedIn: false, signInError: kind }), <SignIn onSignedIn={vi.fn()} />);
  await fillAndSubmit();
  const alert = await screen.findByTestId("signin-error");
  expect(alert.textContent).toContain(text);
  expect(alert.dataset.kind).toBe(kind);
});

test("two-factor step: wrong code shows an error, right code signs in", async () => {
  const backend = new FakeBackend({ signedIn: false, twoFactor: true });
  const onSignedIn = vi.fn();
  renderWith(backend, <SignIn onSignedIn={onSignedIn} />);
  await fillAndSubmit();
  await userEvent.type(await screen.findByTestId("signin-code"), "000000");
  await userEvent.click(screen.getByTestId("signin-verify"));
  expect((await screen.findByTestId("signin-error")).textContent).toContain("verification code is wrong");
  expect(onSignedIn).not.toHaveBeenCalled();
  await userEvent.clear(screen.getByTestId("signin-code"));
  await userEvent.type(screen.getByTestId("signin-code"), "123456");
  await userEvent.click(screen.getByTestId("signin-verify"));
  expect(backend.callsOf("submit2fa").at(-1)).toEqual(["pending-1", "123456"]);
  expect(onSignedIn).toHaveBeenCalledTimes(1);
});

test("an invalid server address is refused before calling Rust", async () => {
  const backend = new FakeBackend({ signedIn: false });
  renderWith(backend, <SignIn onSignedIn={vi.fn()} />);
  await fillAndSubmit("ftp://files.example.com");
  expect((await screen.findByTestId("signin-error")).dataset.kind).toBe("invalidUrl");
  expect(backend.callsOf("addAccount")).toEqual([]);
});

test("the sign-in screen is fully translated in 简体中文", () => {
  renderWith(new FakeBackend({ signedIn: false }), <SignIn onSignedIn={vi.fn()} />, "zh-CN");
  expect(screen.getByTestId("sandbox-button").textContent).toBe("试用本地沙盒");
  expect(screen.getByTestId("signin-submit").textContent).toBe("登录");
});

test("normaliseServerUrl", () => {
  // Without a scheme the address goes to Rust as typed: https is tried first there.
  expect(normaliseServerUrl(" drive.example.com ")).toBe("drive.example.com");
  expect(normaliseServerUrl("10.0.0.2:5212/cloud/")).toBe("10.0.0.2:5212/cloud");
  expect(normaliseServerUrl("http://10.0.0.2:5212/")).toBe("http://10.0.0.2:5212");
  expect(normaliseServerUrl("https://x.example/cloud/")).toBe("https://x.example/cloud");
  expect(normaliseServerUrl("javascript:alert(1)")).toBeNull();
  expect(normaliseServerUrl("")).toBeNull();
});

test("an address without a scheme that only answers over http shows a warning before the files", async () => {
  const backend = new FakeBackend({ signedIn: false });
  const onSignedIn = vi.fn();
  renderWith(backend, <SignIn onSignedIn={onSignedIn} />);
  await fillAndSubmit("10.0.0.2:5212");
  const warning = await screen.findByTestId("signin-insecure");
  expect(warning.textContent).toContain("not encrypted");
  expect(warning.textContent).toContain("http://10.0.0.2:5212");
  expect(onSignedIn).not.toHaveBeenCalled();
  await userEvent.click(screen.getByTestId("signin-insecure-continue"));
  expect(onSignedIn).toHaveBeenCalledTimes(1);
});

test("an explicit http:// address signs in without the warning", async () => {
  const onSignedIn = vi.fn();
  renderWith(new FakeBackend({ signedIn: false }), <SignIn onSignedIn={onSignedIn} />);
  await fillAndSubmit("http://10.0.0.2:5212");
  await waitFor(() => expect(onSignedIn).toHaveBeenCalledTimes(1));
  expect(screen.queryByTestId("signin-insecure")).toBeNull();
});

test("123pan asks for the client id and secret and signs in with provider pan123", async () => {
  const backend = new FakeBackend({ signedIn: false });
  const onSignedIn = vi.fn();
  renderWith(backend, <SignIn onSignedIn={onSignedIn} />);
  await userEvent.click(screen.getByTestId("signin-service-pan123"));
  expect(screen.getByTestId("signin-service-pan123").getAttribute("aria-checked")).toBe("true");
  // No Cloudreve fields; a short hint where the credentials come from; the API host is optional.
  expect(screen.queryByTestId("signin-server")).toBeNull();
  expect(screen.queryByTestId("signin-email")).toBeNull();
  expect(screen.getByTestId("signin-pan123-hint").textContent).toContain("123pan developer console");
  await userEvent.type(screen.getByTestId("signin-client-id"), "client-1");
  await userEvent.type(screen.getByTestId("signin-client-secret"), "s3cret");
  await userEvent.click(screen.getByTestId("signin-submit"));
  expect(backend.callsOf("addAccount")).toEqual([["", "client-1", "s3cret", true, "pan123"]]);
  expect(onSignedIn).toHaveBeenCalledTimes(1);
  expect(onSignedIn.mock.calls[0][0].provider.name).toBe("123pan");
});

test("123pan: a typed API server is passed on, and checked first", async () => {
  const backend = new FakeBackend({ signedIn: false });
  renderWith(backend, <SignIn onSignedIn={vi.fn()} />, "zh-CN");
  await userEvent.click(screen.getByTestId("signin-service-pan123"));
  expect(screen.getByTestId("signin-service-pan123").textContent).toBe("123云盘");
  await userEvent.type(screen.getByTestId("signin-client-id"), "c");
  await userEvent.type(screen.getByTestId("signin-client-secret"), "s");
  await userEvent.type(screen.getByTestId("signin-api-server"), "ftp://x");
  await userEvent.click(screen.getByTestId("signin-submit"));
  expect((await screen.findByTestId("signin-error")).dataset.kind).toBe("invalidUrl");
  await userEvent.clear(screen.getByTestId("signin-api-server"));
  await userEvent.type(screen.getByTestId("signin-api-server"), "http://127.0.0.1:9000/");
  await userEvent.click(screen.getByTestId("signin-submit"));
  await waitFor(() => expect(backend.callsOf("addAccount")).toEqual([["http://127.0.0.1:9000", "c", "s", true, "pan123"]]));
});
