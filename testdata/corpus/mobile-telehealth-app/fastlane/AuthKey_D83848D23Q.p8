@@SECRET:pkcs8-private-key/ec@@
