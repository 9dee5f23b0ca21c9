{{/*
The entries of one of the region's hardware lists (global.hardware.<key>),
checked. An entry is either a mapping with hostname (a host with settings
of its own) or a string of one or more hostnames separated by white space
(hosts with none). Both name Kubernetes nodes. A large region lists its
plain hosts in strings: Helm deep-copies the globals for every chart of the
region, and one string costs it what one value costs, where a mapping per
host costs it several (docs/charts.md, "Large regions").

  include "osh-lib.hardware-entries" (dict "ctx" $ "key" "hypervisors" "what" "hypervisor" "seen" $seen)

Gives JSON {"hosts": {position: hostname}, "entries": {position: entry},
"at": {position: list entry}}. "hosts" holds every host; "entries" only the
hosts given as mappings, with the mapping's own keys plus "where"
("global.hardware.hypervisors[3] (hostname kvm-004)") for the chart's own
checks; "at" says which list entry a host came from
("global.hardware.hypervisors[3]"). Positions are zero-padded,
so that `range` visits them in list order. A hostname that is missing, not
a node name, or listed twice (also in the lists already checked with the
same "seen" dict, optional: hostname -> where) fails the render naming the
entry. "what" says what the node is in the message ("the Kubernetes node
name of this <what>"). Objects, not lists: a list grows by copying itself
(sprig's append), which made a list of thousands of hosts cost seconds; and
a plain host costs no object of its own.
*/}}
{{- define "osh-lib.hardware-entries" -}}
{{- $path := printf "global.hardware.%s" .key -}}
{{- $list := dig "hardware" .key list (.ctx.Values.global | default dict) -}}
{{- if not (kindIs "slice" $list) -}}
{{- fail (printf "%s: must be a list of hostnames or {hostname, ...} mappings, not %s" $path (kindOf $list)) -}}
{{- end -}}
{{- /* Not `default dict`: an empty dict is "empty" to default, and the caller's must be filled. */ -}}
{{- $seen := .seen -}}
{{- if not (kindIs "map" $seen) -}}
{{- $seen = dict -}}
{{- end -}}
{{- $name := "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*" -}}
{{- $hostsOut := dict -}}
{{- $atOut := dict -}}
{{- $entriesOut := dict -}}
{{- $n := 0 -}}
{{- range $i, $entry := $list -}}
{{- $at := printf "%s[%d]" $path $i -}}
{{- $hosts := list -}}
{{- if kindIs "string" $entry -}}
{{- $hosts = regexSplit "\\s+" (trim $entry) -1 | compact -}}
{{- if not $hosts -}}
{{- fail (printf "%s: hostname is required (the Kubernetes node name of this %s)" $at $.what) -}}
{{- end -}}
{{- /* One match for the whole string; the names are looked at one by one only to say which is wrong. */ -}}
{{- if not (regexMatch (printf "^\\s*%s(\\s+%s)*\\s*$" $name $name) $entry) -}}
{{- range $hosts -}}
{{- if not (regexMatch (printf "^%s$" $name) .) -}}
{{- fail (printf "%s (hostname %s): hostname is not a Kubernetes node name (a lowercase DNS name of at most 200 characters)" $at .) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- else if kindIs "map" $entry -}}
{{- $hostname := $entry.hostname | default "" | toString -}}
{{- if not $hostname -}}
{{- fail (printf "%s: hostname is required (the Kubernetes node name of this %s)" $at $.what) -}}
{{- end -}}
{{- if not (regexMatch (printf "^%s$" $name) $hostname) -}}
{{- fail (printf "%s (hostname %s): hostname is not a Kubernetes node name (a lowercase DNS name of at most 200 characters)" $at $hostname) -}}
{{- end -}}
{{- $hosts = list $hostname -}}
{{- else -}}
{{- fail (printf "%s: must be a hostname or a mapping with hostname, not %v" $at $entry) -}}
{{- end -}}
{{- range $hostname := $hosts -}}
{{- if gt (len $hostname) 200 -}}
{{- fail (printf "%s (hostname %s): hostname is not a Kubernetes node name (a lowercase DNS name of at most 200 characters)" $at $hostname) -}}
{{- end -}}
{{- if hasKey $seen $hostname -}}
{{- fail (printf "%s (hostname %s): duplicate hostname, already %s" $at $hostname (get $seen $hostname)) -}}
{{- end -}}
{{- $_ := set $seen $hostname $at -}}
{{- $position := printf "%06d" $n -}}
{{- $_ := set $hostsOut $position $hostname -}}
{{- $_ := set $atOut $position $at -}}
{{- if kindIs "map" $entry -}}
{{- $_ := set $entriesOut $position (merge (dict "hostname" $hostname "where" (printf "%s (hostname %s)" $at $hostname)) $entry) -}}
{{- end -}}
{{- $n = add1 $n -}}
{{- end -}}
{{- end -}}
{{- $out := dict "hosts" $hostsOut "entries" $entriesOut "at" $atOut -}}
{{- toJson $out -}}
{{- end -}}
