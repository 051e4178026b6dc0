# buildpack-deps:<suite>-curl, as docker-library/buildpack-deps builds it, on the farm's Debian.
ARG BASE
FROM ${BASE}
RUN set -eux; \
	apt-get update; \
	apt-get install -y --no-install-recommends \
		ca-certificates \
		curl \
		gnupg \
		netbase \
		sq \
		wget \
	; \
	rm -rf /var/lib/apt/lists/*
