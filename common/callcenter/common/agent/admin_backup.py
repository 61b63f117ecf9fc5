"""Admin API (protocol 1.1): backup of the four parameter groups to
DIR/backups/B<yyyymmddhhmm>, restore with a per-group comparison, and file transfer
(download of backups and exports, upload of files to restore or import).

See ``admin_core`` for how admin actions are declared and run.
"""

from __future__ import annotations

from typing import Final

from callcenter.common.agent.spec import ActionSpec, EventSpec, FieldSpec, _b, _i, _s, _time

#: The parameter groups of backup and restore (``callcenter.common.schema.Group``).
GROUPS: Final = ("extension", "trunk", "switches", "other")
#: Bytes of one download chunk at most (base64 makes 4/3 of it: well under 64 KiB a line).
CHUNK_BYTES: Final = 32768
#: Bytes of an uploaded file at most.
MAX_UPLOAD_BYTES: Final = 20 * 1024 * 1024
#: A file name in an area: no path separators, no leading dot.
FILE_NAME_PATTERN: Final = r"[A-Za-z0-9_\-][A-Za-z0-9._\-]{0,99}"
#: Differences listed per group by restore_preview; refusals listed by restore_apply.
SHOWN_CHANGES: Final = 20
SHOWN_REFUSALS: Final = 50

_NAME_DOC = ("file name in the area (letters, digits, '.', '_', '-'; no path separators, "
             "no '..', at most 100 characters)")


def _name(doc: str = _NAME_DOC) -> FieldSpec:
    return _s("name", doc, pattern=FILE_NAME_PATTERN)


_RESTORE_AREA: Final = _s("area", "where the file is: backups (made by backup_create) or "
                                  "uploads (sent with file_upload)",
                          choices=("backups", "uploads"))

_GROUP_COMPARISON: Final = (
    _s("group", "parameter group", choices=GROUPS),
    _i("differ", "keys whose value in the file differs from the PBX's", minimum=0),
    _i("same", "keys whose value in the file equals the PBX's", minimum=0),
    _i("missing", "keys of the group the file does not hold (a restore leaves them)",
       minimum=0),
    FieldSpec("changes", "array", f"the first {SHOWN_CHANGES} differences",
              items="object", fields=(_s("key", "parameter key"),
                                      _s("pbx", "the PBX's value now"),
                                      _s("file", "the file's value"))),
)

_GROUP_RESULT: Final = (
    _s("group", "parameter group", choices=GROUPS),
    _i("written", "keys written and read back", minimum=0),
    _i("unchanged", "keys that already held the file's value (not sent)", minimum=0),
    _i("refused", "keys the PBX refused (or read back otherwise)", minimum=0),
    _i("invalid", "keys whose value the schema or its rules do not allow here (not sent)",
       minimum=0),
    _i("not_sent", "keys not sent: cancelled, or the link went down", minimum=0),
    _i("unconfirmed", "keys sent whose answer and read-back never came (the link went "
                      "down): the PBX may or may not hold the file's value", minimum=0),
)

ACTIONS: Final[tuple[ActionSpec, ...]] = (
    ActionSpec("backup_create", "back up the four parameter groups as the PBX holds them "
                                "now to DIR/backups/B<yyyymmddhhmm>",
               role="admin", module="backup", long=True, pbx=True,
               result=(_s("name", "the backup's file name (B + the site's local "
                                  "yyyymmddhhmm, -2, -3 ... for more in one minute)"),
                       _i("size", "bytes", minimum=0),
                       FieldSpec("groups", "array", "the groups it holds", items="string",
                                 choices=GROUPS)),
               examples=({},)),
    ActionSpec("backup_list", "the backups kept in DIR/backups/",
               role="operator", module="backup",
               result=(FieldSpec("backups", "array", "backups, oldest first", items="object",
                                 fields=(_s("name", "file name"),
                                         _i("size", "bytes", minimum=0),
                                         _time("created", "when it was written"))),),
               examples=({},)),
    ActionSpec("file_download", "read a chunk of a backup or of a records export (operators: "
                                "backups need the backup module, exports the records module)",
               role="operator", module="",
               params=(_s("area", "backups (DIR/backups) or exports (DIR/exports)",
                          choices=("backups", "exports")),
                       _name(),
                       _i("offset", "first byte to read (default 0)", minimum=0,
                          required=False),
                       _i("length", f"bytes to read, 1-{CHUNK_BYTES} (default {CHUNK_BYTES})",
                          minimum=1, maximum=CHUNK_BYTES, required=False)),
               result=(_s("data", "the bytes, base64 (\"\" at the end of the file)"),
                       _i("offset", "where the chunk starts", minimum=0),
                       _i("size", "the file's size in bytes", minimum=0),
                       _b("eof", "true: the chunk reaches the end of the file")),
               examples=({"area": "exports", "name": "records-none.csv"},
                         {"area": "exports", "name": "records-none.csv", "offset": 0,
                          "length": 1024})),
    ActionSpec("file_upload", "send a file to DIR/uploads/ in chunks, in order; the last one "
                              "with final true (then the file appears whole at once)",
               role="admin", module="backup",
               params=(_name(),
                       _i("offset", "where this chunk goes: 0 starts the file anew, later "
                                    "chunks follow the bytes sent so far", minimum=0),
                       _s("data", f"the chunk's bytes, base64 (at most {CHUNK_BYTES} bytes "
                                  "decoded)", maximum=(CHUNK_BYTES * 4) // 3 + 4),
                       _b("final", "true: the last chunk; the file is complete (default "
                                   "false)", required=False)),
               result=(_name("the file's name"),
                       _i("size", "bytes received so far (the whole file after final)",
                          minimum=0)),
               examples=({"name": "B200603290915", "offset": 4096, "data": "e30K"},
                         {"name": "B200603290915", "offset": 4096, "data": "e30K",
                          "final": True})),
    ActionSpec("restore_preview", "compare a backup or uploaded file with the PBX, group by "
                                  "group (nothing is written)",
               role="admin", module="backup", pbx=True,
               params=(_RESTORE_AREA, _name()),
               result=(_i("extensions", "extension ports of the file's PBX", minimum=0),
                       _i("trunks", "trunks of the file's PBX", minimum=0),
                       _s("model", "PBX model the file was made from"),
                       FieldSpec("groups", "array", "the four groups", items="object",
                                 fields=_GROUP_COMPARISON)),
               examples=({"area": "backups", "name": "B200603290915"},)),
    ActionSpec("restore_apply", "write the file's values that differ from the PBX's, for the "
                                "chosen groups (default all)",
               role="admin", module="backup", long=True, pbx=True,
               params=(_RESTORE_AREA, _name(),
                       FieldSpec("groups", "array", "groups to restore (default all four)",
                                 items="string", choices=GROUPS, minimum=1, maximum=4,
                                 required=False)),
               result=(FieldSpec("groups", "array", "per group restored", items="object",
                                 fields=_GROUP_RESULT),
                       FieldSpec("refused", "array", f"the first {SHOWN_REFUSALS} keys "
                                 "refused, invalid or unconfirmed, with the reason", items="object",
                                 fields=(_s("key", "parameter key"),
                                         _s("reason", "why, for people")))),
               examples=({"area": "uploads", "name": "B200603290915"},
                         {"area": "uploads", "name": "B200603290915",
                          "groups": ["extension"]})),
)

EVENTS: Final[tuple[EventSpec, ...]] = ()
