#!/usr/bin/env bash
# Run by docker-compose.yml's `kafka-init` job (apache/kafka image) on every `up`; each
# step is idempotent. As the super user `admin` (PLAIN, on the brokers' BROKER listener):
#   1. wait until KAFKA_EXPECTED_BROKERS brokers have registered;
#   2. create or update the SCRAM-SHA-512 users `kapaudit` (kapaudit's own processes) and
#      `publisher` (clinic systems) from their password files;
#   3. grant them the topic ACLs. The authorizer denies whatever is not granted, so only
#      User:kapaudit (and the super user) can write kap.access-events.v1: publishers
#      cannot forge "who read which patient" records.
set -euo pipefail

bin=${KAFKA_BIN:-/opt/kafka/bin}
secrets=${SECRETS_DIR:-/run/secrets}
admin=$secrets/kafka_admin_client
bootstrap=${KAFKA_BOOTSTRAP:?}
expected=${KAFKA_EXPECTED_BROKERS:?}

registered=0
for _ in $(seq 60); do
  registered=$("$bin/kafka-broker-api-versions.sh" --bootstrap-server "$bootstrap" \
    --command-config "$admin" 2>/dev/null | grep -c ' (id: ' || true)
  [ "$registered" -ge "$expected" ] && break
  echo "kafka-init: $registered of $expected brokers registered; waiting"
  sleep "${KAFKA_WAIT_SECONDS:-5}"
done
if [ "$registered" -lt "$expected" ]; then
  echo "kafka-init: only $registered of $expected brokers registered after 5 minutes" >&2
  exit 1
fi

scram_user() { # user, password file
  "$bin/kafka-configs.sh" --bootstrap-server "$bootstrap" --command-config "$admin" \
    --alter --entity-type users --entity-name "$1" \
    --add-config "SCRAM-SHA-512=[iterations=8192,password=$(cat "$2")]"
}

allow() { # principal, then kafka-acls.sh arguments
  local principal=$1
  shift
  "$bin/kafka-acls.sh" --bootstrap-server "$bootstrap" --command-config "$admin" \
    --add --allow-principal "User:$principal" "$@"
}

scram_user kapaudit "$secrets/kapaudit_kafka_password"
scram_user publisher "$secrets/kafka_publisher_password"

# kapaudit: creates its topics (`kapaudit topics create`), records both event topics,
# publishes reads to the access topic, dead letters and checkpoints.
for topic in kap.session-events.v1 kap.access-events.v1; do
  allow kapaudit --operation Read --operation Write --operation Describe --operation Create \
    --topic "$topic"
done
for topic in kap.session-events.dlq.v1 kap.checkpoints.v1; do
  allow kapaudit --operation Write --operation Describe --operation Create --topic "$topic"
done
allow kapaudit --operation Read --group kapaudit-recorder

# Clinic systems: write session events, nothing else (no access to kap.access-events.v1).
allow publisher --operation Write --operation Describe --topic kap.session-events.v1

echo "kafka-init: users and ACLs in place"
