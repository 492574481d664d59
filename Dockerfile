# Pipetracker's HTTP API in a minimal image. Untested here (no container
# engine on the development machines); see docs/deployment.md.
#
#   docker build -t pipetracker .
#   docker run --rm -p 8080:8080 -e PIPETRACKER_API_KEY=... \
#     -v /var/log/myapp:/logs:ro -v $PWD/pipetracker.yaml:/etc/pipetracker/pipetracker.yaml:ro pipetracker

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# A static binary: no cgo, no libc in the final image.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/pipetracker ./cmd/pipetracker

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/pipetracker /pipetracker
# Any unprivileged uid; nobody's, as numbers, since scratch has no passwd.
USER 65534:65534
EXPOSE 8080
# The server listens on every interface of the container; it refuses to do
# so without an API key (PIPETRACKER_API_KEY or server.api_keys).
ENTRYPOINT ["/pipetracker", "serve", "--listen", "0.0.0.0:8080", "--config", "/etc/pipetracker/pipetracker.yaml", "--log-format", "json"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
  CMD ["/pipetracker", "serve", "--healthcheck", "--listen", "127.0.0.1:8080"]
