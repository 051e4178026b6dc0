# buildpack-deps:<suite>-scm, as docker-library/buildpack-deps builds it.
ARG BASE
FROM ${BASE}
RUN set -eux; \
	apt-get update; \
	apt-get install -y --no-install-recommends \
		git \
		mercurial \
		openssh-client \
		subversion \
		procps \
	; \
	rm -rf /var/lib/apt/lists/*
