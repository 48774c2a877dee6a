#!/bin/sh
# the front end's page: what the app service answers, fetched by its service name
printf 'Content-Type: text/plain\r\n\r\n'
wget -qO- http://app:5000/cgi-bin/page || echo "the app service did not answer"
