package config

// InitTemplate returns a commented pipetracker.yaml that documents every
// setting with its default value. It loads without problems; the examples
// that would need a network or files that may not exist are commented out.
func InitTemplate() []byte {
	return []byte(initTemplate)
}

const initTemplate = `# pipetracker.yaml: where Pipetracker reads logs and how it traces a request.
#
# Every setting below shows its default value, except log_sources, which has
# none and lists an example. Each setting can be overridden by the environment
# variable named beside it; lists in variables are comma-separated. Check this file with "pipetracker config validate" and see
# the settings in effect with "pipetracker config show".

# log_sources: where to read logs. An entry is a location, or a mapping with
# the location and its settings. A location without "://" is a local path: a
# directory (read recursively), a file or a glob; rotated and compressed files
# (.gz, .zst) are read too. "-" reads standard input and "exec:COMMAND" reads
# the output of a command. Default: none.
# Environment: PIPETRACKER_LOG_SOURCES (locations only).
log_sources:
  - ./logs
  # A mapping entry. service names the service of every record of the source;
  # timezone (an IANA name such as Europe/Berlin, default UTC) applies to
  # timestamps written without a zone; options are settings of the driver
  # that reads the location (numbers and booleans are read as text).
  # - location: ./legacy/billing
  #   service: billing
  #   timezone: Europe/Berlin
  # A command whose output is read as one source:
  # - exec:journalctl -o json -u nginx
  # Sources that need a network. Credentials come from the environment and
  # the usual configuration of each service, never from this file.
  # - s3://my-bucket/logs/
  # - location: s3://my-bucket/archive/
  #   options:
  #     region: eu-west-1
  # - gcs://my-gcs-bucket/logs/
  # - location: kafka://localhost:9092/my-topic
  #   service: checkout
  # - datadog://service:my-service

# match_keys: the names of the fields that hold the id being traced. A record
# matches when one of these fields holds exactly the id: a JSON field at any
# depth (dotted names such as trace.id too), a logfmt key=value, or
# key=value / key: value inside the message.
# Environment: PIPETRACKER_MATCH_KEYS.
match_keys:
  - transaction_id
  - request_id
  - trace_id

# follow_links: when a matched record carries another match key's value (a
# request_id beside the transaction_id), search for that value too.
# Environment: PIPETRACKER_FOLLOW_LINKS.
follow_links: true

# max_link_depth: how many links away from the traced id the search goes.
# Environment: PIPETRACKER_MAX_LINK_DEPTH.
max_link_depth: 3

# max_linked_ids: the most linked ids added to one search.
# Environment: PIPETRACKER_MAX_LINKED_IDS.
max_linked_ids: 100

# max_events: the most records one trace keeps, so that its memory stays
# bounded however often the id occurs (about 2 KB a record); the trace
# stops there with a warning. 0: no limit. Flag: --max-events.
# Environment: PIPETRACKER_MAX_EVENTS.
max_events: 100000

# output: how reports are written, and how much each source may read.
output:
  # format: text, json, html, ndjson, csv or mermaid.
  # Environment: PIPETRACKER_OUTPUT_FORMAT.
  format: text
  # path: the directory reports are written to.
  # Environment: PIPETRACKER_OUTPUT_PATH.
  path: ./output
  # max_files: the most files or objects one source reads; 0 = no limit.
  # Environment: PIPETRACKER_OUTPUT_MAX_FILES.
  max_files: 0
  # max_size_mb: the most megabytes one source reads; 0 = no limit.
  # Environment: PIPETRACKER_OUTPUT_MAX_SIZE_MB.
  max_size_mb: 0

# verifier_endpoints: services to ask about the traced request once the
# trace is assembled, as service name: absolute http(s) URL. Default: none.
# Environment: PIPETRACKER_VERIFIER_ENDPOINTS (service=url,...).
verifier_endpoints: {}
# verifier_endpoints:
#   payments: http://localhost:8000/verify

# security: protection of what Pipetracker writes.
security:
  # encrypt_logs: encrypt every report written to disk (a Fernet token,
  # key in APP_SECRET_KEY; read it back with pipetracker decrypt).
  # Environment: PIPETRACKER_SECURITY_ENCRYPT_LOGS.
  encrypt_logs: false
  # secrets_dir: the directory of the .<name>_secret files ("" is the
  # working directory). Secrets are looked up in the environment first.
  # Environment: PIPETRACKER_SECURITY_SECRETS_DIR.
  secrets_dir: ""

# redaction: what is removed from every report before it leaves. The traced
# id and the linked ids are never removed.
redaction:
  # enabled: turn redaction on or off.
  # Environment: PIPETRACKER_REDACTION_ENABLED.
  enabled: true
  # mode: mask ([REDACTED:email]) or hash (email:5f3a9c21, a keyed
  # pseudonym; the key is the secret pipetracker_redact_key).
  # Environment: PIPETRACKER_REDACTION_MODE.
  mode: mask
  # rules: built-in rules on or off; those not named keep their default
  # (on: email, card, iban, phone, ssn, jwt, bearer, aws_key, aws_secret,
  # secret_field; off: ipv4, ipv6, digits).
  # rules:
  #   ipv4: true
  #   phone: false
  # custom: rules of your own, a name and an RE2 expression; with a group,
  # only the group is replaced.
  # custom:
  #   - name: member_id
  #     pattern: 'MBR-[0-9]{6}'
  # secret_fields: the field names whose values are secrets (replaces the
  # built-in list).
  # secret_fields: [password, passwd, secret, token, api_key, cookie]

# server: the HTTP API (pipetracker serve).
server:
  # api_keys: the names of the secrets that hold the accepted API keys,
  # each looked up like any secret (environment first, then the
  # .<name>_secret file); the name is what the access log shows. A single
  # key can also come from PIPETRACKER_API_KEY.
  # api_keys: [api_key_dashboard, api_key_oncall]
  # allow_source_filter: let a request narrow the trace to some of the
  # configured sources (?source=LOCATION).
  allow_source_filter: false
`
