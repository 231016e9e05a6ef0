/**
 * Python appended to the generated GitHub parser: checking out the pushed commit with git. The
 * token (for a private repository) goes to git through GIT_CONFIG_* variables as an
 * `http.extraHeader`, never on the command line where other processes could read it; prompts are
 * off so a missing credential fails instead of waiting for a terminal.
 */
export const githubParserHelpers = String.raw`def checkout(payload: Payload, dest: str, token: Optional[str] = None) -> str:
    """Clones the push's repository (repository.clone_url) into dest and checks out the pushed
    commit (after), detached. The token defaults to $GITHUB_TOKEN. Returns the commit."""
    import base64
    import re
    import subprocess
    import urllib.parse

    repository = payload.repository
    if repository is None or not repository.clone_url:
        raise PayloadError("payload.repository.clone_url: required to check out, and missing")
    commit = payload.after or ""
    if re.fullmatch(r"0+", commit):
        raise PayloadError("payload.after: the push deleted its ref; there is no commit to check out")
    if not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", commit):
        raise PayloadError(f"payload.after: {commit[:80]!r} is not a commit id")
    url = urllib.parse.urlsplit(repository.clone_url)
    if not (url.scheme == "https" or (url.scheme == "http" and url.hostname in ("127.0.0.1", "localhost", "::1"))):
        raise PayloadError(f"payload.repository.clone_url: {url.scheme}: URLs are not cloned (https only)")
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0")
    token = token or os.environ.get("GITHUB_TOKEN")
    if token:
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        env.update(GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0="http.extraHeader", GIT_CONFIG_VALUE_0=f"Authorization: Basic {basic}")
    subprocess.run(["git", "clone", "--quiet", "--no-checkout", "--", repository.clone_url, dest], check=True, env=env)
    subprocess.run(["git", "-C", dest, "checkout", "--quiet", "--detach", commit], check=True, env=env)
    return commit


GitHubPayload.checkout = checkout  # type: ignore[attr-defined]`;
