{{/* The release name when it contains "velero", else <release>-velero. */}}
{{- define "velero.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Velero's ServiceAccount: the given name, else <fullname>-server; "default" when the chart creates none and none is named. */}}
{{- define "velero.serverServiceAccount" -}}
{{- if .Values.serviceAccount.server.create -}}
{{- default (printf "%s-server" (include "velero.fullname" .)) .Values.serviceAccount.server.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.server.name -}}
{{- end -}}
{{- end -}}

{{- define "velero.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end -}}
{{- end -}}

{{- define "velero.labels" -}}
app.kubernetes.io/name: velero
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}
