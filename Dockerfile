# syntax=docker/dockerfile:1
# Firstline in a container: a static binary on a distroless base (CA certificates and time zones, no
# shell), run as a user that is not root, with the data directory as a volume.
#
#   docker build -t firstline --build-arg VERSION=v1.2.0 --build-arg COMMIT="$(git rev-parse HEAD)" .
#   docker run -d --name firstline --restart unless-stopped \
#     -v firstline-data:/data \
#     -v /etc/firstline/firstline.toml:/etc/firstline/firstline.toml:ro \
#     --env-file /etc/firstline/secrets.env \
#     -p 127.0.0.1:8080:8080 \
#     firstline
#
# /data holds the data file (firstline.db) and the desk's control socket. The config is mounted read-only;
# the tokens and keys it names as ${NAME} come from --env-file. The config must set [http] listen =
# ":8080": the HEALTHCHECK asks /healthz there, and Slack's request URL in HTTP mode is /slack/events on
# it. Keep /healthz and /metrics off the internet. The commands run in the container as the desk's user,
# and read through its control socket while it runs:
#
#   docker exec firstline firstline report -data /data -config /etc/firstline/firstline.toml
#   docker exec firstline firstline backup -data /data /data/backup.db
#
# Without a config it is the console demo: docker run -it --rm firstline run -data /data

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=v0.0.0-docker
ARG COMMIT=unknown
# The same build as scripts/release.sh: static (no C), no build paths, stripped, version stamped.
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" -o /out/firstline ./cmd/firstline
RUN mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/firstline /usr/local/bin/firstline
# The data directory belongs to the user the desk runs as (distroless's nonroot, 65532), mode 0700: the
# data file holds what people wrote. A new named volume takes this owner and mode.
COPY --from=build --chown=65532:65532 --chmod=0700 /out/data /data
USER 65532:65532
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["/usr/local/bin/firstline", "health", "-url", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/usr/local/bin/firstline"]
CMD ["run", "-data", "/data", "-config", "/etc/firstline/firstline.toml"]
