"""kafka-python 3.x over SASL/OAUTHBEARER (run with .cache/venv-kp3's python): produces one record
with a token provider and reads it back, then prints OK.
  kafka_python_oauth_client.py <bootstrap> <SASL_PLAINTEXT|SASL_SSL> <cafile or -> <topic> <token>"""
import sys

from kafka import KafkaConsumer, KafkaProducer
from kafka.net.sasl.oauth import AbstractTokenProvider

bootstrap, protocol, cafile, topic, token = sys.argv[1:6]


class Fixed(AbstractTokenProvider):
    def token(self):
        return token


conf = dict(bootstrap_servers=bootstrap, security_protocol=protocol, sasl_mechanism="OAUTHBEARER",
            sasl_oauth_token_provider=Fixed())
if cafile != "-":
    conf["ssl_cafile"] = cafile
p = KafkaProducer(**conf)
p.send(topic, b"kp3-oauth").get(timeout=30)
p.close()
c = KafkaConsumer(topic, auto_offset_reset="earliest", consumer_timeout_ms=15000, **conf)
values = [m.value for m in c]
c.close()
assert values == [b"kp3-oauth"], values
print("OK")
