#!/bin/sh
# `run --pcap FILE`: the capture of every shipped lesson and exercise, read
# by tshark (tests/pcap_check.py: no malformed packet, no TCP analysis flag
# but the retransmissions of the trace's losses, each session's stream
# byte for byte, the SMTP/POP/IMAP/DNS dissectors' commands and questions
# against the --json trace); the same bytes twice; the classic .pcap; a
# lossy link's retransmissions; names and notes in the pcapng; an
# unwritable FILE.
#
#   sh tests/suites/pcap.sh [MAILSIM]
mailsim=${1:-./mailsim}
. tests/suitelib.sh

if ! command -v tshark >/dev/null 2>&1; then
	bad "tshark is needed (apt-get install tshark)"
	echo "$passed passed, $failed failed"
	exit 1
fi

# run LESSON OUT...: exit 0 or 1 (an exercise's checks fail until solved)
run() {
	"$mailsim" run "$@" >/dev/null 2>"$tmp/err"
	rc=$?
	[ $rc -le 1 ] || { cat "$tmp/err"; return 1; }
}

for f in scenarios/*.scn scenarios/labs/*.scn; do
	b=$(basename "$f" .scn)
	case $f in */labs/*) b=lab-$b ;; esac
	"$mailsim" run --json "$f" >"$tmp/$b.jsonl" 2>/dev/null
	if [ -s "$tmp/$b.jsonl" ] && run --pcap "$tmp/$b.pcapng" "$f" &&
		python3 tests/pcap_check.py "$tmp/$b.jsonl" "$tmp/$b.pcapng"; then
		ok
	else
		bad "pcap $f: tshark disagrees with the trace"
	fi
done

# the same lesson and seed, the same bytes
run --pcap "$tmp/again.pcapng" scenarios/smtp-send.scn
if cmp -s "$tmp/smtp-send.pcapng" "$tmp/again.pcapng"; then ok; else bad "pcap: two runs differ"; fi

# the classic format: the same packets, the pcap magic (little-endian)
run --pcap "$tmp/s.pcap" scenarios/smtp-send.scn
n1=$(tshark -r "$tmp/s.pcap" -T fields -e frame.number 2>/dev/null | wc -l)
n2=$(tshark -r "$tmp/smtp-send.pcapng" -T fields -e frame.number 2>/dev/null | wc -l)
magic=$(od -An -tx1 -N4 "$tmp/s.pcap" | tr -d ' \n')
if [ "$n1" -gt 0 ] && [ "$n1" = "$n2" ] && [ "$magic" = d4c3b2a1 ]; then ok; else
	bad "pcap: the .pcap has $n1 packets (pcapng $n2), magic $magic"
fi
magic=$(od -An -tx1 -N4 "$tmp/smtp-send.pcapng" | tr -d ' \n')
if [ "$magic" = 0a0d0d0a ]; then ok; else bad "pcap: not a pcapng ($magic)"; fi

# names from the Name Resolution Block, notes as comments, the application
if tshark -r "$tmp/smtp-send.pcapng" -N n -T fields -e ip.src_host 2>/dev/null |
	grep -qx mail.uea.edu.br; then ok; else bad "pcap: no host name from the NRB"; fi
if tshark -r "$tmp/smtp-send.pcapng" -T fields -e frame.comment 2>/dev/null |
	grep -q "the MX record names the mail server"; then ok; else bad "pcap: no note as a comment"; fi
if grep -q mailsim "$tmp/smtp-send.pcapng"; then ok; else bad "pcap: no shb_userappl"; fi

# a lossy link: retransmissions, as many as the losses (pcap_check), and some
sed 's/latency 120ms/latency 120ms loss 20%/' scenarios/smtp-send.scn >"$tmp/loss.scn"
"$mailsim" run --json "$tmp/loss.scn" >"$tmp/loss.jsonl" 2>/dev/null
run --pcap "$tmp/loss.pcapng" "$tmp/loss.scn"
nret=$(tshark -r "$tmp/loss.pcapng" -Y tcp.analysis.retransmission -T fields -e frame.number 2>/dev/null | wc -l)
if [ "$nret" -gt 0 ] && python3 tests/pcap_check.py "$tmp/loss.jsonl" "$tmp/loss.pcapng"; then ok; else
	bad "pcap: a lossy link ($nret retransmissions)"
fi

# the refused connections of server-down: a RST each
nrst=$(tshark -r "$tmp/server-down.pcapng" -Y "tcp.flags.reset == 1" -T fields -e frame.number 2>/dev/null | wc -l)
nfail=$(grep -c '"event":"connect-failed"' "$tmp/server-down.jsonl")
if [ "$nrst" -gt 0 ] && [ "$nrst" = "$nfail" ]; then ok; else bad "pcap: $nrst RST for $nfail refused"; fi

# a link down: the SYN is sent again and again, no answer, no RST
sed 's/server mx.gmail.com \(down\|up\)/link mail.uea.edu.br mx.gmail.com \1/' \
	scenarios/server-down.scn >"$tmp/ldown.scn"
"$mailsim" run --json "$tmp/ldown.scn" >"$tmp/ldown.jsonl" 2>/dev/null
run --pcap "$tmp/ldown.pcapng" "$tmp/ldown.scn"
nsyn=$(tshark -r "$tmp/ldown.pcapng" -Y "tcp.flags.syn == 1 && tcp.analysis.retransmission" \
	-T fields -e frame.number 2>/dev/null | wc -l)
if [ "$nsyn" -gt 0 ] && grep -q "timed out" "$tmp/ldown.jsonl" &&
	python3 tests/pcap_check.py "$tmp/ldown.jsonl" "$tmp/ldown.pcapng"; then ok; else
	bad "pcap: a timed-out connection ($nsyn SYN retransmissions)"
fi

# a FILE that cannot be written: exit 3, said so
"$mailsim" run --pcap "$tmp/no/such/dir/x.pcapng" scenarios/smtp-send.scn >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -eq 3 ] && grep -q "cannot write $tmp/no/such/dir/x.pcapng" "$tmp/err"; then ok; else
	bad "pcap: unwritable FILE gave $rc: $(cat "$tmp/err")"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
