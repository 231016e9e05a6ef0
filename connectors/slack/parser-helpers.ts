/**
 * Python appended to the generated Slack parser: answering a command or interaction from the
 * launched code. Its response_url takes 5 posts within 30 minutes; after that Slack answers
 * 404 `expired_url` / `used_url`, and the answer goes through the Web API with a bot token
 * (chat.postEphemeral to the user when the answer was to be ephemeral, so it does not become
 * public; chat.postMessage otherwise). Slack's Web API answers 200 with `{"ok": false}` on failure.
 */
export const slackParserHelpers = String.raw`class SlackAnswerError(RuntimeError):
    """Slack did not take the answer; the message says what it said."""


def respond(payload: Payload, text: str, blocks: Optional[List[Dict[str, Any]]] = None, ephemeral: bool = True,
            bot_token: Optional[str] = None, allowed_hosts: "tuple[str, ...]" = ("hooks.slack.com",)) -> str:
    """Answers a slash command or interaction: through its response_url while Slack takes it,
    else (expired or used up) through the Web API with bot_token (default $SLACK_BOT_TOKEN).
    Only https URLs on allowed_hosts (host, or host:port) are posted to (http too for a loopback
    host listed), so
    a payload cannot send the answer elsewhere. Returns the route taken: "response_url",
    "chat.postEphemeral" or "chat.postMessage"."""
    import urllib.error
    import urllib.parse
    import urllib.request

    message: Dict[str, Any] = {"text": text, "response_type": "ephemeral" if ephemeral else "in_channel"}
    if blocks is not None:
        message["blocks"] = blocks
    url = getattr(payload, "response_url", None)
    why = "the payload has no response_url"
    if url:
        target = urllib.parse.urlsplit(url)
        loopback = target.hostname in ("127.0.0.1", "localhost", "::1")
        listed = target.hostname in allowed_hosts or target.netloc in allowed_hosts
        if not listed or not (target.scheme == "https" or (loopback and target.scheme == "http")):
            raise SlackAnswerError(f"response_url host {target.hostname!r} is not one of {', '.join(allowed_hosts)}")
        request = urllib.request.Request(url, data=json.dumps(message).encode(), headers={"content-type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                answer.read()
            return "response_url"
        except urllib.error.HTTPError as error:
            said = error.read().decode("utf-8", "replace").strip()[:40]
            if error.code >= 500:
                raise SlackAnswerError(f"response_url: Slack answered {error.code} {said}") from None
            why = f"response_url refused ({error.code} {said})"
    token = bot_token or os.environ.get("SLACK_BOT_TOKEN")
    if not token:
        raise SlackAnswerError(f"{why} and no bot token (bot_token or $SLACK_BOT_TOKEN)")
    channel, user = _slack_channel(payload), _slack_user(payload)
    if not channel:
        raise SlackAnswerError(f"{why} and the payload names no channel")
    method = "chat.postEphemeral" if ephemeral and user else "chat.postMessage"
    body: Dict[str, Any] = {"channel": channel, "text": text}
    if blocks is not None:
        body["blocks"] = blocks
    if method == "chat.postEphemeral":
        body["user"] = user
    api = os.environ.get("SLACK_API_URL", "https://slack.com/api/")  # a stand-in or proxy in tests
    request = urllib.request.Request(api + method, data=json.dumps(body).encode(),
                                     headers={"content-type": "application/json; charset=utf-8", "authorization": f"Bearer {token}"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        result = json.loads(answer.read() or b"{}")
    if not result.get("ok"):
        raise SlackAnswerError(f"{why}; {method} failed: {result.get('error', 'no answer')}")
    return method


def _slack_channel(payload: Any) -> Optional[str]:
    if getattr(payload, "channel_id", None):
        return payload.channel_id
    channel = getattr(payload, "channel", None)
    return getattr(channel, "id", None)


def _slack_user(payload: Any) -> Optional[str]:
    if getattr(payload, "user_id", None):
        return payload.user_id
    user = getattr(payload, "user", None)
    return getattr(user, "id", None)


SlashCommand.respond = respond  # type: ignore[attr-defined]
Interaction.respond = respond  # type: ignore[attr-defined]`;
