"""The PBX side of the server: the serial link, the parameter image, the service.

Bottom up (each module imports only those above it in this list, and the layers below):

* ``port``, ``link``: ``PbxLink``, I/O only. One thread owns the serial port (opened through
  ``serial.serial_for_url``) and a sans-I/O ``LinkSession``; it identifies the PBX,
  matches answers to requests by request id, hands unsolicited messages to a listener
  and reconnects with back-off.
* ``parameters``, ``verification``, ``image``: reading and writing the PBX parameter
  image (start-up data verification, write with read-back).
* ``records``, ``port_states``, ``events``: the call-record sink (acknowledged only after a
  durable commit), the live state of every extension, trunk and park slot, and what the
  service tells its listeners.
* ``service``: ``PbxService``, the link service combining the above.
"""
