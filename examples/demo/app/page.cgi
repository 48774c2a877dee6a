#!/bin/sh
# the app's answer: its greeting and the store's visit count, which the store keeps
printf 'Content-Type: text/plain\r\n\r\n'
echo "$GREETING"
echo "visits: $(wget -qO- http://store:7000/cgi-bin/visit || echo '?')"
