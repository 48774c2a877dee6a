#!/bin/sh
# one more visit, counted in /data (the named volume: the count outlives the containers)
printf 'Content-Type: text/plain\r\n\r\n'
count=$(( $(cat /data/visits 2>/dev/null || echo 0) + 1 ))
echo "$count" > /data/visits
echo "$count"
