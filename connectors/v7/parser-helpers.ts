/**
 * Python appended to the generated V7 parser: fetching a stage delivery's source files. A slot's
 * file URL is V7's API (`/api/v2/teams/<team>/files/<id>/original`, authorised with
 * `Authorization: ApiKey <key>`), which redirects to a presigned storage URL valid for a short
 * while; when that has expired (storage answers 403, or 400 on some stores) the V7 URL is asked
 * again for a fresh one. Redirects are followed by hand so the API key never reaches storage:
 * a presigned URL carries its own signature, and S3 refuses a request with two.
 */
export const v7ParserHelpers = String.raw`class V7DownloadError(RuntimeError):
    """A source file could not be fetched; the message names it and what was answered."""


def download_items(payload: Payload, dest: str, api_key: Optional[str] = None) -> List[str]:
    """Downloads every source file of a webhook-stage delivery's item into dest (file names
    reduced to their last part), re-asking V7 for a presigned URL that has expired. The API key
    defaults to $V7_API_KEY. Returns the paths written, in slot order."""
    if not isinstance(payload, StageDelivery):
        raise PayloadError(f"payload: download_items needs a StageDelivery (a team webhook names no files), got {type(payload).__name__}")
    key = api_key or os.environ.get("V7_API_KEY")
    os.makedirs(dest, exist_ok=True)
    written = []
    for slot_index, slot in enumerate(payload.item.slots or []):
        for file_index, source in enumerate(slot.source_files or []):
            if not source.url:
                continue
            name = os.path.basename((source.file_name or "").replace("\\", "/")) or f"slot{slot_index}-{file_index}"
            path = os.path.join(dest, name)
            _v7_download(source.url, key, path)
            written.append(path)
    return written


def _v7_download(url: str, key: Optional[str], path: str) -> None:
    import urllib.error
    import urllib.parse
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    headers = {"authorization": f"ApiKey {key}"} if key else {}
    for attempt in (1, 2):
        try:
            with opener.open(urllib.request.Request(url, headers=headers), timeout=60) as answer:
                _v7_save(answer, path)
                return
        except urllib.error.HTTPError as error:
            if error.code not in (301, 302, 303, 307, 308):
                raise V7DownloadError(f"{url}: V7 answered {error.code}") from None
            presigned = urllib.parse.urljoin(url, error.headers.get("location", ""))
        try:
            with urllib.request.urlopen(presigned, timeout=60) as answer:
                _v7_save(answer, path)
                return
        except urllib.error.HTTPError as error:
            if error.code in (400, 403) and attempt == 1:
                continue  # the presigned URL expired: V7 signs a new one
            raise V7DownloadError(f"{url}: storage answered {error.code} for the presigned URL") from None


def _v7_save(answer: Any, path: str) -> None:
    partial = path + ".part"
    with open(partial, "wb") as f:
        while True:
            chunk = answer.read(1 << 20)
            if not chunk:
                break
            f.write(chunk)
    os.replace(partial, path)


StageDelivery.download_items = download_items  # type: ignore[attr-defined]`;
