"""The call-center server: the PBX link, the headless service and the technician CLI.

Layers, bottom up (each module imports only those below it):

* ``port``, ``link``: ``PbxLink``, I/O only. One thread owns the serial port (opened through
  ``serial.serial_for_url``) and a sans-I/O ``LinkSession``; it identifies the PBX,
  matches answers to requests by request id, hands unsolicited messages to a listener
  and reconnects with back-off.
* ``parameters``, ``verification``, ``image``: reading and writing the PBX parameter
  image (start-up data verification, write with read-back).
* ``records``, ``port_states``: the call-record sink (acknowledged only after a durable commit)
  and the live state of every extension, trunk and park slot.
* ``service``: ``PbxService``, the headless service combining the above.
* ``cli``, ``cli_pbx``: ``callcenter-server`` (``--headless``, ``--demo``, ``pbx ...``).

Nothing here imports tkinter: the service runs on a machine without Tk.
"""
