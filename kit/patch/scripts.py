"""The shell programs inside the steps the kit adds.

They are bash, run by the runner with every `${{ }}` value passed through `env:` (never spliced
into the script, so no template injection and nothing for zizmor to flag). Their messages start
with the vocabulary's prefix and carry `step=` and `reason=` fields, which is what the report reads
back from job logs. The preflight never prints the key: it reaches curl through a config on stdin.
"""

from __future__ import annotations

from kit.vocabulary import (
    ENV_API_KEY,
    ENV_BASE_URL,
    ENV_CHECK_KEY,
    ENV_CODEX_USER,
    ENV_FRESH,
    ENV_HAS_MESSAGE,
    ENV_HOME,
    ENV_OUTCOME,
    ENV_OUTPUT_FILE,
    ENV_OUTPUT_JSON,
    ENV_PREFLIGHT_REASON,
    ENV_SAFETY,
    ENV_STEP,
    KEY_ACCEPTED,
    MESSAGE_PREFIX,
    OUTPUT_MISSING,
    PREFLIGHT_FAILED,
    PREFLIGHT_OK,
    QUOTA_CODES,
)


def _fill(template: str) -> str:
    """The script with every `@NAME@` token replaced by the vocabulary's spelling."""
    replacements = {
        "@PREFIX@": MESSAGE_PREFIX,
        "@FAILED@": PREFLIGHT_FAILED,
        "@MISSING@": OUTPUT_MISSING,
        "@STEP@": ENV_STEP,
        "@HOME@": ENV_HOME,
        "@KEY@": ENV_API_KEY,
        "@BASE@": ENV_BASE_URL,
        "@CHECK@": ENV_CHECK_KEY,
        "@FRESH@": ENV_FRESH,
        "@SAFETY@": ENV_SAFETY,
        "@USER@": ENV_CODEX_USER,
        "@OUTCOME@": ENV_OUTCOME,
        "@PREFLIGHT_REASON@": ENV_PREFLIGHT_REASON,
        "@HAS_MESSAGE@": ENV_HAS_MESSAGE,
        "@OUTPUT_FILE@": ENV_OUTPUT_FILE,
        "@OUTPUT_JSON@": ENV_OUTPUT_JSON,
        "@OK@": PREFLIGHT_OK,
        "@ACCEPTED@": KEY_ACCEPTED,
        "@QUOTA@": "|".join(QUOTA_CODES),
    }
    for token, value in replacements.items():
        template = template.replace(token, value)
    return template


PREPARE = _fill(r"""# codex-kit: a clean Codex home for this step. codex-action keys its server-info file by run id
# only, so a rerun or an earlier Codex step would otherwise leave a stale, root-owned file here.
set -eu
home="${@HOME@:-}"
fresh="${@FRESH@:-true}"
stale_name="${GITHUB_RUN_ID:-unknown}.json"
if [ -z "$home" ] && [ "${@SAFETY@:-}" = "unprivileged-user" ]; then
  # codex-action runs Codex as `sudo -u <codex-user>`, which drops CODEX_HOME, so the home must stay
  # ~<codex-user>/.codex. codex-action creates it with an empty, mode 666 server-info file that the
  # proxy (run as the runner user) fills in; when the folder is already there it creates nothing, so a
  # stale file is put back to that state rather than removed (the proxy could not create it there).
  user="${@USER@:-}"
  user_home=""
  if [ -n "$user" ]; then
    user_home="$(sudo -n -u "$user" -- printenv HOME 2>/dev/null)" || user_home=""
  fi
  if [ -z "$user_home" ]; then
    echo "@PREFIX@ cannot find the home of codex-user '$user'; codex-action will derive it and say why it failed"
    exit 0
  fi
  home="$user_home/.codex"
  stale="$home/$stale_name"
  if sudo -n test -s "$stale"; then
    sudo -n rm -f -- "$stale"
    sudo -n touch -- "$stale"
    sudo -n chmod 666 -- "$stale"
    echo "@PREFIX@ cleared the stale server-info file $stale"
  fi
  echo "@PREFIX@ Codex home stays at $home (codex-user $user)"
  exit 0
fi
if [ -z "$home" ]; then
  home="$HOME/.codex"  # the safety strategy is an expression that was not unprivileged-user
  fresh=false
fi
case "$home" in \~) home="$HOME" ;; \~/*) home="$HOME/${home#\~/}" ;; esac
if [ "$fresh" = "true" ]; then
  rm -rf -- "$home" 2>/dev/null || sudo -n rm -rf -- "$home"
else
  stale="$home/$stale_name"
  rm -f -- "$stale" 2>/dev/null || sudo -n rm -f -- "$stale"
fi
mkdir -p -- "$home"
if [ ! -w "$home" ]; then
  echo "::error title=Prepare Codex home::@PREFIX@ Codex home $home is not writable"
  exit 1
fi
echo "@PREFIX@ Codex home ready at $home"
""")

PREFLIGHT = _fill(r"""# codex-kit preflight: is the OpenAI key there, and does OpenAI accept it? Fails fast and says which.
set -u
step="${@STEP@:-codex}"
fail() {
  echo "reason=$1" >> "${GITHUB_OUTPUT:-/dev/null}"
  echo "::error title=Codex preflight::@PREFIX@ @FAILED@ step=$step reason=$1 $2"
  exit 1
}
if [ -z "${@KEY@:-}" ]; then
  fail missing-key "- the OpenAI API key is empty: the secret is not set, or GitHub withheld it (fork PR, Dependabot). Codex is skipped."
fi
case "$@KEY@" in
  *[!A-Za-z0-9_-]*) fail invalid-key "- the key holds characters an OpenAI key never has (a pasted space or newline?). Codex is skipped." ;;
esac
if [ "${@CHECK@:-true}" != "true" ]; then
  echo "reason=ok" >> "${GITHUB_OUTPUT:-/dev/null}"
  echo "@PREFIX@ @OK@ step=$step - key present; not checked with OpenAI because this step uses its own responses-api-endpoint"
  exit 0
fi
base="${@BASE@:-https://api.openai.com}"
body="$(mktemp)"
status="$(printf 'header = "Authorization: Bearer %s"\n' "$@KEY@" |
  curl --silent --config - --output "$body" --write-out '%{http_code}' \
    --connect-timeout 10 --max-time 30 "${base%/}/v1/models" 2>/dev/null)" || true
field() { sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p" "$body" | head -n 1; }
code="$(field code)"
kind="$(field type)"
rm -f -- "$body"
status="${status:-000}"
detail="status=$status code=${code:-none}"
case "$status" in
  200)
    echo "reason=ok" >> "${GITHUB_OUTPUT:-/dev/null}"
    echo "@PREFIX@ @OK@ step=$step - @ACCEPTED@ (HTTP 200)."
    echo "@PREFIX@ note: GET /v1/models spends no credit, so a key with no quota still passes here; a quota failure shows in the Codex step."
    exit 0 ;;
  401)
    if [ "$code" = "invalid_api_key" ]; then
      fail invalid-key "$detail - OpenAI says the key is invalid: replace the secret."
    fi
    fail key-rejected "$detail - OpenAI did not accept the key (revoked, wrong organisation, or missing scopes)." ;;
  429)
    case "$code" in
      @QUOTA@) fail no-quota "$detail - the key has no quota or credit left: check billing and limits." ;;
    esac
    if [ "$kind" = "insufficient_quota" ]; then
      fail no-quota "$detail - the key has no quota or credit left: check billing and limits."
    fi
    fail rate-limited "$detail - OpenAI is rate-limiting this key; Codex is skipped for this run." ;;
  000)
    fail other "$detail - no answer from ${base%/} (network, DNS or proxy)." ;;
  *)
    fail other "$detail - OpenAI answered unexpectedly." ;;
esac
""")

CONTRACT = _fill(r"""# codex-kit output contract: say plainly why Codex left no usable output, and leave a
# deterministic placeholder so later steps and jobs always find well-formed output.
set -u
step="${@STEP@:-codex}"
file="${@OUTPUT_FILE@:-}"
json_ok() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import json, sys; json.load(open(sys.argv[1], encoding="utf-8"))' "$1" 2>/dev/null
  elif command -v jq >/dev/null 2>&1; then
    jq empty "$1" >/dev/null 2>&1
  fi
}
reason=""
preflight="${@PREFLIGHT_REASON@:-}"
if [ -n "$preflight" ] && [ "$preflight" != "ok" ]; then
  reason="preflight-$preflight"
elif [ "${@OUTCOME@:-}" = "failure" ]; then
  reason="codex-failed"
elif [ "${@OUTCOME@:-}" = "success" ]; then
  if [ -n "$file" ]; then
    if [ ! -e "$file" ]; then
      reason="output-missing"
    elif [ ! -s "$file" ]; then
      reason="output-empty"
    elif [ "${@OUTPUT_JSON@:-false}" = "true" ] && ! json_ok "$file"; then
      reason="output-invalid-json"
    fi
  elif [ "${@HAS_MESSAGE@:-false}" != "true" ]; then
    reason="output-empty"
  fi
fi
if [ -z "$reason" ]; then
  echo "@PREFIX@ output ok step=$step"
  exit 0
fi
echo "::warning title=Codex output contract::@PREFIX@ @MISSING@ step=$step reason=$reason"
if [ -n "$file" ]; then
  mkdir -p -- "$(dirname -- "$file")"
  if [ "$reason" = "output-invalid-json" ]; then
    mv -f -- "$file" "$file.invalid"
    echo "@PREFIX@ kept the unparseable output as $file.invalid"
  fi
  if [ "${@OUTPUT_JSON@:-false}" = "true" ]; then
    printf '{"codex_kit_placeholder": true, "step": "%s", "reason": "%s"}\n' "$step" "$reason" > "$file"
  else
    printf '@PREFIX@ no Codex output (step=%s reason=%s)\n' "$step" "$reason" > "$file"
  fi
  echo "@PREFIX@ wrote a placeholder to $file"
fi
if [ -n "${@HOME@:-}" ]; then
  echo "@PREFIX@ contents of the Codex home (${@HOME@}):"
  ls -la -- "${@HOME@}" 2>&1 || true
else
  echo "@PREFIX@ the Codex home is the one codex-action derives (safety-strategy ${@SAFETY@:-default})"
fi
exit 0
""")
