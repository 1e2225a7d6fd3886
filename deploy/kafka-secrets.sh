#!/usr/bin/env bash
# Writes the Kafka secrets docker-compose.yml reads from ./secrets (never overwrites one):
#
#   kafka-admin.password       the brokers' super user `admin` (inter-broker, controllers,
#                              kafka-init); also inside the two files below
#   kafka-server-jaas.conf     the brokers' JAAS logins (KAFKA_OPTS)
#   kafka-admin.properties     client settings of `admin` (healthchecks, kafka-init)
#   kafka-kapaudit.password    SCRAM password of User:kapaudit (KAPAUDIT_KAFKA_SASL_PASSWORD_FILE)
#   kafka-publisher.password   SCRAM password of User:publisher, for the clinic systems
#   kafka-ca.crt, kafka-ca.key a CA for the SASL_SSL listener: give publishers the .crt;
#                              move the .key offline
#   kafka.keystore.p12         the brokers' certificate (for $KAFKA_EXTERNAL_HOST) and key
#   kafka-keystore.password    its password
#
# Usage: KAFKA_EXTERNAL_HOST=kafka.clinic.example deploy/kafka-secrets.sh [DIR]
# Needs bash and openssl. Then make the files readable by the containers' users (see
# docs/DEPLOYMENT.md): uid 10001 (kapaudit) for kafka-kapaudit.password, uid 1000
# (apache/kafka's appuser) for the others.
set -euo pipefail

dir=${1:-secrets}
host=${KAFKA_EXTERNAL_HOST:-localhost}
mkdir -p "$dir"
cd "$dir"
umask 077

password() { # file
  [ -e "$1" ] || openssl rand -hex 24 > "$1"
}

password kafka-admin.password
password kafka-kapaudit.password
password kafka-publisher.password
password kafka-keystore.password
admin=$(cat kafka-admin.password)

if [ ! -e kafka-server-jaas.conf ]; then
  plain="org.apache.kafka.common.security.plain.PlainLoginModule required
    username=\"admin\" password=\"$admin\" user_admin=\"$admin\";"
  cat > kafka-server-jaas.conf <<JAAS
broker.KafkaServer {
    $plain
};
controller.KafkaServer {
    $plain
};
internal.KafkaServer {
    org.apache.kafka.common.security.scram.ScramLoginModule required;
};
sasl_ssl.KafkaServer {
    org.apache.kafka.common.security.scram.ScramLoginModule required;
};
JAAS
fi

if [ ! -e kafka-admin.properties ]; then
  cat > kafka-admin.properties <<PROPERTIES
security.protocol=SASL_PLAINTEXT
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="$admin";
PROPERTIES
fi

if [ ! -e kafka-ca.crt ]; then
  openssl req -x509 -newkey rsa:3072 -nodes -days 3650 -subj "/CN=kapaudit Kafka CA" \
    -keyout kafka-ca.key -out kafka-ca.crt 2> /dev/null
fi

if [ ! -e kafka.keystore.p12 ]; then
  case $host in
    *[!0-9.]*) san="DNS:$host" ;;
    *) san="IP:$host" ;;
  esac
  openssl req -newkey rsa:3072 -nodes -subj "/CN=$host" \
    -keyout kafka-broker.key -out kafka-broker.csr 2> /dev/null
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san" > kafka-broker.ext
  openssl x509 -req -days 825 -in kafka-broker.csr -CA kafka-ca.crt -CAkey kafka-ca.key \
    -CAcreateserial -extfile kafka-broker.ext -out kafka-broker.crt 2> /dev/null
  openssl pkcs12 -export -name kafka -in kafka-broker.crt -inkey kafka-broker.key \
    -certfile kafka-ca.crt -passout file:kafka-keystore.password -out kafka.keystore.p12
  rm -f kafka-broker.key kafka-broker.csr kafka-broker.ext kafka-ca.srl
fi

echo "Kafka secrets in $dir/ (certificate for $host). Publishers get kafka-ca.crt,"
echo "User:publisher and kafka-publisher.password; move kafka-ca.key offline."
